//go:build !linux

package cgroup

// Detect returns ErrUnsupported: cgroups are Linux only.
func Detect() (*Controller, error) { return nil, ErrUnsupported }

// New returns ErrUnsupported: cgroups are Linux only.
func New(name string, share float64) (*Group, error) { return nil, ErrUnsupported }

// New returns ErrUnsupported: cgroups are Linux only.
func (c *Controller) New(name string, share float64) (*Group, error) { return nil, ErrUnsupported }

// Cleanup returns ErrUnsupported: cgroups are Linux only.
func Cleanup() ([]string, error) { return nil, ErrUnsupported }

// Cleanup returns ErrUnsupported: cgroups are Linux only.
func (c *Controller) Cleanup() ([]string, error) { return nil, ErrUnsupported }

// SetQuota returns ErrUnsupported: cgroups are Linux only.
func (g *Group) SetQuota(share float64) error { return ErrUnsupported }

// Quota returns ErrUnsupported: cgroups are Linux only.
func (g *Group) Quota() (float64, error) { return 0, ErrUnsupported }

// Add returns ErrUnsupported: cgroups are Linux only.
func (g *Group) Add(pid int) error { return ErrUnsupported }

// Procs returns ErrUnsupported: cgroups are Linux only.
func (g *Group) Procs() ([]int, error) { return nil, ErrUnsupported }

// Stat returns ErrUnsupported: cgroups are Linux only.
func (g *Group) Stat() (Stat, error) { return Stat{}, ErrUnsupported }

// Remove returns ErrUnsupported: cgroups are Linux only.
func (g *Group) Remove() error { return ErrUnsupported }
