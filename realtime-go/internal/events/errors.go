package events

import (
	"errors"
	"fmt"
)

// Code classifies a rejected command; transports map it to their wire codes.
type Code int

// Codes of rejected commands.
const (
	CodeInvalid Code = iota + 1
	CodePermissionDenied
	CodeNotFound
	CodeOverloaded
	CodeInternal
	// CodeConflict: the stroke id or action id is already taken by different content or another author;
	// nothing was stored, and the sender must mint a new id.
	CodeConflict
)

// Error is a command rejected for a reason the sender can act on.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// Errorf builds a coded error.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err, CodeInternal for uncoded errors.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrOverloaded is returned by Writer.Submit when the write queue is full: retry later, nothing stored.
var ErrOverloaded = &Error{Code: CodeOverloaded, Msg: "write queue is full: retry later"}
