package account

// CheapHashes makes the service hash passwords with the least argon2id
// cost, so that tests signing in dozens of times stay quick on a busy
// machine. TestPasswordHash covers the real parameters.
func (s *Service) CheapHashes() { s.argon = fastArgon }
