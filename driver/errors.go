package driver

import "errors"

// ErrUnsupported is returned by Run and MarkNamespace on systems other than
// Linux: the event loops are built on epoll, and the namespace guard on
// rtnetlink.
var ErrUnsupported = errors.New("driver: load generation needs Linux (epoll)")

// Stage is where in a request's life an error happened.
type Stage uint8

// The stages of a request.
const (
	StageSocket  Stage = iota // creating the socket
	StageConnect              // connecting (including the connect timeout)
	StageWrite                // sending the request
	StageRead                 // waiting for and reading the response
	StageParse                // the response bytes were not valid HTTP/1.x
	StageStatus               // a complete response with a 4xx or 5xx status
	numStages
)

var stageNames = [numStages]string{"socket", "connect", "write", "read", "parse", "status"}

// String returns the stage's name as used in Summary.ErrorsByStage (JSON errors_by_step).
func (s Stage) String() string {
	if s < numStages {
		return stageNames[s]
	}
	return "unknown"
}

// class is an error class with a fixed name.
type class uint8

// The error classes; their names are the keys of Summary.Errors.
const (
	ClassConnectRefused  = "connect_refused"     // ECONNREFUSED: nothing listens
	ClassConnectTimeout  = "connect_timeout"     // connect deadline or ETIMEDOUT while connecting
	ClassAddrUnavailable = "addr_unavailable"    // EADDRNOTAVAIL: no ephemeral port left
	ClassTooManyFiles    = "too_many_open_files" // EMFILE/ENFILE: the driver's own fd limit
	ClassReset           = "reset"               // ECONNRESET/EPIPE
	ClassEOF             = "eof"                 // the peer closed before a complete response
	ClassReadTimeout     = "read_timeout"        // no complete response within the timeout
	ClassBadResponse     = "bad_response"        // unparsable bytes
	ClassHTTP4xx         = "http_4xx"
	ClassHTTP5xx         = "http_5xx"

	// HTTP/2 (Config.H2C): a stream the server reset, or a connection it
	// ended, is classed by what the server said.
	ClassH2RefusedStream = "h2_refused_stream" // RST_STREAM(REFUSED_STREAM): not processed, the server's stream limit (or its race)
	ClassH2GoAway        = "h2_goaway"         // lost to a GOAWAY: above its last stream id without a clean shutdown, or unanswered when the connection closed after it
	ClassH2Protocol      = "h2_protocol_error" // RST_STREAM(PROTOCOL_ERROR), or the connection broke HTTP/2's rules (either side)
	ClassH2FlowControl   = "h2_flow_control"   // the request body waited for flow-control window until the timeout, or FLOW_CONTROL_ERROR
)

const (
	cConnectRefused class = iota
	cConnectTimeout
	cAddrUnavailable
	cTooManyFiles
	cReset
	cEOF
	cReadTimeout
	cBadResponse
	cHTTP4xx
	cHTTP5xx
	cH2Refused
	cH2GoAway
	cH2Protocol
	cH2FlowControl
	numClasses
)

var classNames = [numClasses]string{
	ClassConnectRefused, ClassConnectTimeout, ClassAddrUnavailable, ClassTooManyFiles,
	ClassReset, ClassEOF, ClassReadTimeout, ClassBadResponse, ClassHTTP4xx, ClassHTTP5xx,
	ClassH2RefusedStream, ClassH2GoAway, ClassH2Protocol, ClassH2FlowControl,
}

// otherClass names an error outside the fixed classes so that its errno and
// stage are never lost: "other_<ERRNO>_<stage>".
func otherClass(errnoName string, s Stage) string {
	if errnoName == "" {
		errnoName = "UNKNOWN"
	}
	return "other_" + errnoName + "_" + s.String()
}
