package site

import "strings"

// textField is one text input as the "text_field" partial draws it.
type textField struct {
	Name         string
	Label        string
	Hint         string
	Type         string // "text" or "email"
	Autocomplete string
	Inputmode    string
	Optional     bool
	Value        string
	Error        string
}

// Describedby lists the ids of the hint and the error, for
// aria-describedby.
func (f textField) Describedby() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.Name+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.Name+"-error")
	}
	return strings.Join(ids, " ")
}

// textFields are the text inputs of the booking and correction forms.
var textFields = map[string]textField{
	"name": {Label: "Full name", Hint: "As it should appear on your certificate.", Autocomplete: "name"},
	"email": {Label: "E-mail address", Hint: "We send your confirmation and joining instructions here.",
		Type: "email", Autocomplete: "email", Inputmode: "email"},
	"organisation": {Label: "Organisation", Hint: "Your employer or practice.", Autocomplete: "organization"},
	"role": {Label: "Role or profession", Hint: "For example: clinical psychologist, psychotherapist, mental health nurse.",
		Autocomplete: "organization-title"},
	"registration_number": {Label: "Professional registration number", Hint: "For example your HCPC, NMC or UKCP number, if you have one.",
		Autocomplete: "off", Optional: true},
	"po_number": {Label: "Purchase order number", Hint: "If your organisation needs one on the invoice.",
		Autocomplete: "off", Optional: true},
}

// field returns the text field name with its value and error.
func field(name, value string, errs map[string]string) textField {
	f := textFields[name]
	f.Name, f.Value, f.Error = name, value, errs[name]
	if f.Type == "" {
		f.Type = "text"
	}
	return f
}

// Field is a text field of the booking form, with what was typed.
func (p bookingFormPage) Field(name string) textField {
	v := map[string]string{
		"name": p.Form.Name, "email": p.Form.Email, "organisation": p.Form.Organisation, "role": p.Form.Role,
		"registration_number": p.Form.RegistrationNumber, "po_number": p.Form.PONumber,
	}[name]
	return field(name, v, p.Errors)
}

// Field is a text field of the correction form.
func (p managePage) Field(name string) textField {
	v := map[string]string{"name": p.Details.Name, "organisation": p.Details.Organisation}[name]
	return field(name, v, p.Details.Errors)
}
