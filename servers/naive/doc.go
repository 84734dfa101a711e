// Package naive is the lab's first rung: one goroutine that accepts a
// connection, reads one request, answers it with "Connection: close" and
// closes, then accepts the next. Nothing is concurrent: while it serves one
// client (or sleeps in /sleep, or waits for a slow sender up to the read
// timeout), every other client waits in the kernel's accept queue.
//
// It works the way a single-threaded C server does: blocking on poll(2),
// accept4(2), read(2) and write(2) over the raw descriptors, without Go's
// network poller.
//
// Knobs: KeepAlive is ignored (always one request per connection); Workers,
// Queue are ignored (Stats shows one worker, no queue). With several
// listeners (Listeners > 1, or ReusePort) the single goroutine polls all of
// them and takes one connection at a time round robin: after serving a
// connection from listener i it looks first at listener i+1, so a busy port
// cannot starve the others. It is still one goroutine: the ports share its
// one request at a time.
//
// Accept errors are counted by errno; after a resource error (EMFILE,
// ENFILE, ENOBUFS, ENOMEM, ...) it waits 5 ms, doubling up to 1 s, before it
// tries again, as net/http does (a pending connection keeps the listener
// readable, so retrying at once would spin). ECONNABORTED (a client gone
// before accept) is retried at once and not counted, as Go's net package
// does for the other variants.
package naive
