package catalog

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// frontLineOffset turns a line of the front matter into a line of the file:
// the front matter starts after the opening "---" on line 1.
const frontLineOffset = 1

// maxYAMLNodes bounds the front matter's size in nodes. Aliases are refused
// outright, so this only guards against pathological but alias-free input.
const maxYAMLNodes = 100000

var yamlErrorRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// frontMatter decodes the YAML front matter into c. It reports false when
// the front matter is not YAML a course can be read from.
func (p *fileParser) frontMatter(front string, c *Course) bool {
	c.Status = Draft
	c.JoiningLeadDays = defaultJoiningLeadDays
	c.Waitlist = true
	dec := yaml.NewDecoder(strings.NewReader(front))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return true // empty front matter: Validate reports what is missing
	}
	if err != nil {
		p.yamlError(err)
		return false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			p.yamlError(err)
		} else {
			p.problem(extra.Line+frontLineOffset, "", "the front matter must be a single YAML document (remove the extra --- or ...)")
		}
		return false
	}
	if !p.checkNodes(&doc) {
		return false
	}
	if len(doc.Content) > 0 {
		p.course(doc.Content[0], c)
	}
	return true
}

// yamlParserProblems are the messages of the YAML parser (as opposed to its
// scanner). The parser reports the line where the construct in trouble
// starts counting from 0; the scanner counts from 1.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"did not find expected '-' indicator",
	"did not find expected <document start>",
	"did not find expected <stream-start>",
	"did not find expected key",
	"did not find expected node content",
	"found duplicate %TAG directive",
	"found duplicate %YAML directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// yamlError records a YAML syntax error at its line. The line is where
// the YAML library places it: where the mapping, list or value in trouble
// starts, which may be a line or two above the mistake.
func (p *fileParser) yamlError(err error) {
	msg := err.Error()
	if m := yamlErrorRE.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		if slices.Contains(yamlParserProblems, m[2]) {
			n++
		}
		p.problem(n+frontLineOffset, "", "front matter is not valid YAML: %s", m[2])
		return
	}
	p.problem(0, "", "front matter is not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// checkNodes refuses anchors and aliases (which could expand a small file
// into a huge one) and trees with too many nodes.
func (p *fileParser) checkNodes(root *yaml.Node) bool {
	count, ok := 0, true
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		count++
		if count > maxYAMLNodes {
			return
		}
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			if ok {
				p.problem(n.Line+frontLineOffset, "", "YAML anchors and aliases (& and *) are not allowed in a course file; write each value out")
			}
			ok = false
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	if count > maxYAMLNodes {
		p.problem(0, "", "front matter has more than %d values", maxYAMLNodes)
		return false
	}
	return ok
}

// at returns the file line of a node and remembers it for path.
func (p *fileParser) at(n *yaml.Node, path string) int {
	l := n.Line + frontLineOffset
	if _, seen := p.lines[path]; !seen {
		p.lines[path] = l
	}
	return l
}

// fail records a problem with the value of node n at path.
func (p *fileParser) fail(n *yaml.Node, path, format string, args ...any) {
	p.problem(n.Line+frontLineOffset, path, format, args...)
}

// mapping calls fn for each key of the mapping n, refusing keys not in
// known and repeated keys. A null value (an empty "venue:") is an empty
// mapping.
func (p *fileParser) mapping(n *yaml.Node, path string, known []string, fn func(key string, v *yaml.Node, path string)) {
	if yamlNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.fail(n, path, "must be a set of keys, each on its own line as key: value")
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.fail(k, path, "has a key that is not a plain word")
			continue
		}
		kp := k.Value
		if path != "" {
			kp = path + "." + k.Value
		}
		if first, dup := seen[k.Value]; dup {
			p.fail(k, kp, "appears twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line + frontLineOffset
		if !slices.Contains(known, k.Value) {
			p.fail(k, kp, "is not a known key; the keys here are %s", strings.Join(known, ", "))
			continue
		}
		p.at(k, kp)
		fn(k.Value, v, kp)
	}
}

// list calls fn for each item of the sequence n. A null value is an empty
// list.
func (p *fileParser) list(n *yaml.Node, path string, fn func(i int, item *yaml.Node, path string)) {
	if yamlNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.fail(n, path, "must be a list, one item per line starting with -")
		return
	}
	for i, item := range n.Content {
		ip := fmt.Sprintf("%s[%d]", path, i)
		p.at(item, ip)
		fn(i, item, ip)
	}
}

// text returns a scalar's text as written; a null is "".
func (p *fileParser) text(n *yaml.Node, path string) string {
	if yamlNull(n) {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		p.fail(n, path, "must be text, not a list or a set of keys")
		return ""
	}
	return n.Value
}

// wholeNumberRE is a whole number as people write it: digits, perhaps a
// minus sign. YAML's own reading would take 5.5 as 5, 1e3 as 1000 and 0x10
// as 16.
var wholeNumberRE = regexp.MustCompile(`^-?[0-9]{1,9}$`)

// integer reads a whole number written in decimal digits.
func (p *fileParser) integer(n *yaml.Node, path string) int {
	if n.Kind != yaml.ScalarNode || !wholeNumberRE.MatchString(n.Value) {
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!float" {
			p.fail(n, path, "must be a whole number, not %s", n.Value)
		} else {
			p.fail(n, path, "must be a whole number")
		}
		return 0
	}
	v, _ := strconv.Atoi(n.Value) // at most nine digits: cannot fail
	return v
}

// boolean reads true or false.
func (p *fileParser) boolean(n *yaml.Node, path string) bool {
	var v bool
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		p.fail(n, path, "must be true or false")
	}
	return v
}

func yamlNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
