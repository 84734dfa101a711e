package gnet

import (
	"fmt"
	"log"
	"strings"

	"github.com/panjf2000/gnet/v2/pkg/logging"

	"github.com/scalelab/scalelab/servers"
)

// acceptFailedFormat is the message gnet v2.9.7 logs, with the accept(2)
// error as its only argument, just before it gives up on a listener
// (acceptor_unix.go). gnet reports accept errors nowhere else.
const acceptFailedFormat = "Accept() failed due to error: "

// logger is the engine's gnet logger: it counts the accept errors gnet logs
// and passes warnings and errors on to the standard logger.
type logger struct {
	st  *servers.Stats
	out *log.Logger
}

var _ logging.Logger = (*logger)(nil)

// Debugf drops gnet's debug messages.
func (l *logger) Debugf(string, ...any) {}

// Infof drops gnet's informational messages.
func (l *logger) Infof(string, ...any) {}

// Warnf logs a warning.
func (l *logger) Warnf(format string, args ...any) {
	l.out.Printf("warning: "+format, args...)
}

// Errorf logs an error and counts it when it is a failed accept.
func (l *logger) Errorf(format string, args ...any) {
	if strings.HasPrefix(format, acceptFailedFormat) && len(args) == 1 {
		if err, ok := args[0].(error); ok {
			l.st.AcceptError(err)
		}
	}
	l.out.Printf("error: "+format, args...)
}

// Fatalf logs a fatal error; the engine decides what follows.
func (l *logger) Fatalf(format string, args ...any) {
	l.out.Print("fatal: " + fmt.Sprintf(format, args...))
}
