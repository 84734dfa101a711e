// Package driver is scalelab's HTTP/1.1 load generator, usable as a library
// apart from the `scalelab load` command.
//
// The hot path speaks raw HTTP/1.1 over non-blocking sockets driven by epoll
// (edge-triggered, each socket registered once): one event loop per CPU the
// process may run on, each on a locked OS thread,
// with a few hundred bytes of state per connection and one shared read buffer
// per loop (responses are parsed as a stream by driver/internal/http1, so a
// response that spans reads needs no per-connection buffer). No net/http
// client is involved anywhere.
//
// A run is described by a Config (checked by Config.Validate; its JSON form
// is how a parent process hands a run to `scalelab load --config`) and
// started with Run, which returns a Summary: request counts, success rate,
// latency and connect-time percentiles from HdrHistograms, every failed
// request classified by errno and by the Stage where it failed, a
// per-second timeline, and the driver's own CPU and memory use. Summaries of
// shards (Config.Shard) combine exactly with Merge; WriteText prints one the
// way wrk does.
//
// Load models are Pacers: ClosedLoop (each connection waits for its answers)
// and ConstantRate (open loop, latency measured from the intended send time,
// which corrects coordinated omission the way wrk2 does).
//
// The load only goes where the lab may send it, and the guard fails closed:
// before any load socket exists, Run refuses (ErrRemoteTarget) targets that
// are not all loopback unless Config.AllowRemote is set, or the network
// namespace the sockets will live in has no interface but loopback up
// (nothing can leave it), or Config.NamespaceMark matches the mark the lab's
// runner set on that namespace with MarkNamespace. Host names are resolved
// only with AllowRemote.
//
// Load generation needs Linux; elsewhere Run returns ErrUnsupported.
package driver
