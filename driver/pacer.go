package driver

import "time"

// A Pacer decides when each connection sends its requests.
//
// Due returns when request number n (counted from 0) of one connection is
// intended to go out, as an offset from that connection's start. paced is
// false for a closed loop: the connection then sends as soon as its pipeline
// has room, and latency runs from the actual send. With paced true, latency
// runs from the intended time, so a server stall is charged to every request
// that should have been sent during it (coordinated omission corrected).
type Pacer interface {
	Due(n uint64) (at time.Duration, paced bool)
}

// ClosedLoop is the pacer of a closed loop: N clients, each sending its next
// request when the previous answer came back.
type ClosedLoop struct{}

// Due implements Pacer: never paced.
func (ClosedLoop) Due(uint64) (time.Duration, bool) { return 0, false }

// ConstantRate paces one connection at a fixed interval between intended
// sends (an open loop at 1/Interval requests per second per connection).
type ConstantRate struct {
	Interval time.Duration
}

// Due implements Pacer: request n is due n intervals after the start.
func (c ConstantRate) Due(n uint64) (time.Duration, bool) {
	return time.Duration(n) * c.Interval, true
}

// PerConnection returns the pacer for one of conns connections that share
// rate requests per second: a ConstantRate of conns/rate, or ClosedLoop when
// rate is 0.
func PerConnection(rate float64, conns int) Pacer {
	if rate <= 0 || conns <= 0 {
		return ClosedLoop{}
	}
	return ConstantRate{Interval: time.Duration(float64(conns) / rate * float64(time.Second))}
}

var (
	_ Pacer = ClosedLoop{}
	_ Pacer = ConstantRate{}
)
