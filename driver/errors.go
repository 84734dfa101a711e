package driver

// Step is where in a request's life an error happened.
type Step uint8

// The steps of a request.
const (
	StepSocket  Step = iota // creating the socket
	StepConnect             // connecting (including the connect timeout)
	StepWrite               // sending the request
	StepRead                // waiting for and reading the response
	StepParse               // the response bytes were not valid HTTP/1.x
	StepStatus              // a complete response with a 4xx or 5xx status
	numSteps
)

var stepNames = [numSteps]string{"socket", "connect", "write", "read", "parse", "status"}

// String returns the step's name as used in Summary.ErrorsByStep.
func (s Step) String() string {
	if s < numSteps {
		return stepNames[s]
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
	numClasses
)

var classNames = [numClasses]string{
	ClassConnectRefused, ClassConnectTimeout, ClassAddrUnavailable, ClassTooManyFiles,
	ClassReset, ClassEOF, ClassReadTimeout, ClassBadResponse, ClassHTTP4xx, ClassHTTP5xx,
}

// otherClass names an error outside the fixed classes so that its errno and
// step are never lost: "other_<ERRNO>_<step>".
func otherClass(errnoName string, s Step) string {
	if errnoName == "" {
		errnoName = "UNKNOWN"
	}
	return "other_" + errnoName + "_" + s.String()
}
