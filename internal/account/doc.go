// Package account owns the course team's staff accounts: users (e-mail,
// name, role, the courses a role may be limited to, disabled or not),
// their passwords (argon2id), server-side sessions, sign-in throttling,
// time-based one-time codes (TOTP, RFC 6238) and password reset tokens,
// and the one table of roles and the permissions each holds (Can).
//
// It owns the tables staff_users, staff_user_courses, staff_sessions,
// staff_reset_tokens and staff_sign_in_failures. It imports only the
// leaves database and audit: every change it makes writes an audit entry
// in the change's own transaction, naming who acted — and never a
// password, token or TOTP secret. Courses are known here only by their
// IDs; the callers (the CLI, the admin pages) turn slugs into IDs.
//
// The Service is the only door. The web pages call SignIn,
// SessionByToken, SignOut and SignOutEverywhere, and the staff accounts
// page what `plenary user` calls (Users, User, CountSessions,
// DisableTOTP, Disable, Enable); errors are typed
// (ErrBadCredentials, ErrCodeRequired, ErrBadCode, *ThrottledError) for
// the web kit's error table. Like every domain package it returns errors
// and never logs.
package account
