// Package netns creates network namespaces owned by the lab and runs code and
// processes inside them.
//
// A namespace made here is never mounted under /run/netns: it lives only as
// long as its file descriptor is open or a process runs inside it, so a
// crashed or interrupted run cannot leave one behind.
//
// Network namespaces are a Linux feature: on other systems the package is
// empty but for this documentation, and the runner says it needs Linux.
package netns
