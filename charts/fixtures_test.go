package charts

// Fixtures hand-copied from the reference scorecards of 2026-11-25
// (scorecards/reference/2026-11-25/phase-0N.yaml): each step's rps,
// success_rate and latency_ms, and the summary's sweet spot, breaking point
// and limit.

var phase1 = Sweep{Label: "phase 1 naive", BreakingPoint: 1, Limit: "port", Threshold: 0.99, Steps: []Step{
	{Clients: 1, Trials: []Trial{{RPS: 1573.4, Success: 1, Latency: Latency{P50: 0.048, P90: 0.084, P99: 0.149, P999: 0.876}}}},
	{Clients: 10, Trials: []Trial{{RPS: 1638.4, Success: 0.9915, Latency: Latency{P50: 3.019, P90: 5.655, P99: 6.871, P999: 9.207}}}},
	{Clients: 50, Trials: []Trial{{RPS: 1638.4, Success: 0.9709, Latency: Latency{P50: 22.927, P90: 27.183, P99: 30.495, P999: 168.575}}}},
}}

var phase3 = Sweep{Label: "phase 3 pool-keepalive", SweetSpot: 16, BreakingPoint: 32, Limit: "queueing", Threshold: 0.99, Steps: []Step{
	{Clients: 4, Trials: []Trial{{RPS: 748, Success: 1, Latency: Latency{P50: 5.311, P90: 5.423, P99: 5.547, P999: 8.807}}}},
	{Clients: 8, Trials: []Trial{{RPS: 1504, Success: 1, Latency: Latency{P50: 5.307, P90: 5.375, P99: 5.511, P999: 7.419}}}},
	{Clients: 16, Trials: []Trial{{RPS: 2954.7, Success: 1, Latency: Latency{P50: 5.391, P90: 5.511, P99: 5.667, P999: 8.335}}}},
	{Clients: 32, Trials: []Trial{{RPS: 2949.3, Success: 1, Latency: Latency{P50: 5.379, P90: 5.531, P99: 5.943, P999: 9.199}}}},
	{Clients: 100, Trials: []Trial{{RPS: 2954.7, Success: 1, Latency: Latency{P50: 5.383, P90: 5.487, P99: 5.687, P999: 10.039}}}},
	{Clients: 500, Trials: []Trial{{RPS: 2949.3, Success: 1, Latency: Latency{P50: 5.387, P90: 5.483, P99: 5.863, P999: 15.615}}}},
}}

var phase5 = Sweep{Label: "phase 5 pool-backlog", SweetSpot: 50, BreakingPoint: 500, Limit: "backlog", Threshold: 0.99, Steps: []Step{
	{Clients: 50, Trials: []Trial{{RPS: 25922, Success: 1, Latency: Latency{P50: 0.855, P90: 1.395, P99: 5.843, P999: 12.351}}}},
	{Clients: 200, Trials: []Trial{{RPS: 25904.3, Success: 1, Latency: Latency{P50: 2.853, P90: 4.867, P99: 14.479, P999: 36.127}}}},
	{Clients: 500, Trials: []Trial{{RPS: 23179.7, Success: 1, Latency: Latency{P50: 4.363, P90: 6.559, P99: 15.055, P999: 422.399}}}},
	{Clients: 1000, Trials: []Trial{{RPS: 23257.7, Success: 1, Latency: Latency{P50: 4.483, P90: 6.547, P99: 14.431, P999: 857.599}}}},
}}

var phase6 = Sweep{Label: "phase 6 nethttp", SweetSpot: 50, BreakingPoint: 1000, Limit: "cpu", Threshold: 0.99, Steps: []Step{
	{Clients: 50, Trials: []Trial{{RPS: 72913.7, Success: 1, Latency: Latency{P50: 0.669, P90: 1.181, P99: 1.648, P999: 3.583}}}},
	{Clients: 200, Trials: []Trial{{RPS: 69957, Success: 1, Latency: Latency{P50: 2.877, P90: 4.287, P99: 5.355, P999: 6.735}}}},
	{Clients: 1000, Trials: []Trial{{RPS: 56400.3, Success: 1, Latency: Latency{P50: 17.439, P90: 21.215, P99: 25.503, P999: 29.775}}}},
	{Clients: 3000, Trials: []Trial{{RPS: 51884.7, Success: 1, Latency: Latency{P50: 55.327, P90: 66.623, P99: 71.039, P999: 73.087}}}},
}}

var phase7 = Sweep{Label: "phase 7 fasthttp", SweetSpot: 50, BreakingPoint: 1000, Limit: "cpu", Threshold: 0.99, Steps: []Step{
	{Clients: 50, Trials: []Trial{{RPS: 125979, Success: 1, Latency: Latency{P50: 0.39, P90: 0.678, P99: 0.789, P999: 1.614}}}},
	{Clients: 200, Trials: []Trial{{RPS: 122587, Success: 1, Latency: Latency{P50: 1.615, P90: 2.461, P99: 2.769, P999: 5.007}}}},
	{Clients: 1000, Trials: []Trial{{RPS: 99407, Success: 1, Latency: Latency{P50: 10.039, P90: 11.239, P99: 12.831, P999: 15.855}}}},
	{Clients: 3000, Trials: []Trial{{RPS: 80857.7, Success: 1, Latency: Latency{P50: 36.447, P90: 40.223, P99: 45.279, P999: 50.655}}}},
}}

// phase1Timeline is phase 1's step at 10 clients: throughput collapses
// after the first second (TIME_WAIT fills the 16,384 ports) and connects
// fail with EADDRNOTAVAIL in the last one.
var phase1Timeline = Timeline{Label: "phase 1 naive", Clients: 10, Seconds: []Second{
	{T: 0, RPS: 8782, Errors: 0, P99MS: 6.399},
	{T: 1, RPS: 954, Errors: 0, P99MS: 6.655},
	{T: 2, RPS: 912, Errors: 0, P99MS: 7.679},
	{T: 3, RPS: 897, Errors: 0, P99MS: 7.807},
	{T: 4, RPS: 922, Errors: 0, P99MS: 7.199},
	{T: 5, RPS: 934, Errors: 0, P99MS: 8.191},
	{T: 6, RPS: 950, Errors: 0, P99MS: 6.463},
	{T: 7, RPS: 943, Errors: 0, P99MS: 6.591},
	{T: 8, RPS: 960, Errors: 0, P99MS: 6.431},
	{T: 9, RPS: 130, Errors: 141, P99MS: 34.047},
}}

// phase5Timeline is phase 5's step at 1,000 clients (3 s).
var phase5Timeline = Timeline{Label: "phase 5 pool-backlog", Clients: 1000, Seconds: []Second{
	{T: 0, RPS: 23631, P99MS: 15.807},
	{T: 1, RPS: 22646, P99MS: 16.767},
	{T: 2, RPS: 23496, P99MS: 13.375},
}}

// phase5Util is phase 5's step at 1,000 clients: server.cpu_pct,
// driver.cpu_pct (1 CPU each), server.fds_max of nofile, kernel.tw_max of
// port_range_size, server.listen_queue_max of backlog, busy_workers_max of
// workers, queue_max of queue_cap. The card has no driver fd count.
var phase5Util = Utilization{Label: "phase 5 pool-backlog", Clients: 1000, Bottleneck: "accept queue", Resources: []Resource{
	{Name: "server CPU", Used: 85.9, Capacity: 100, Detail: "of 1 core"},
	{Name: "driver CPU", Used: 96.2, Capacity: 100, Detail: "of 1 core"},
	{Name: "server fds", Used: 46, Capacity: 4096},
	{Name: "driver fds", Used: 0, Capacity: 0},
	{Name: "ephemeral ports", Used: 31485, Capacity: 64512},
	{Name: "accept queue", Used: 128, Capacity: 128},
	{Name: "workers", Used: 16, Capacity: 16},
	{Name: "pool queue", Used: 33, Capacity: 16},
}}

// phase1Util is phase 1's step at 10 clients (naive server: one worker,
// no pool queue).
var phase1Util = Utilization{Label: "phase 1 naive", Clients: 10, Bottleneck: "ephemeral ports", Resources: []Resource{
	{Name: "server CPU", Used: 7.7, Capacity: 100, Detail: "of 1 core"},
	{Name: "driver CPU", Used: 94.7, Capacity: 100, Detail: "of 1 core"},
	{Name: "server fds", Used: 15, Capacity: 1024},
	{Name: "ephemeral ports", Used: 16384, Capacity: 16384},
	{Name: "accept queue", Used: 8, Capacity: 1024},
	{Name: "workers", Used: 1, Capacity: 1},
}}

// ladder is the best rps of each phase of 2026-11-25 and its limit.
var ladder = Ladder{Label: "2026-11-25", Rungs: []Rung{
	{Phase: 1, Name: "naive", RPS: 1638.4, Limit: "port"},
	{Phase: 2, Name: "pool-8", RPS: 1638.4, Limit: "port"},
	{Phase: 3, Name: "pool-keepalive", RPS: 2954.7, Limit: "queueing"},
	{Phase: 4, Name: "pool-nofile", RPS: 18765, Limit: "fd"},
	{Phase: 5, Name: "pool-backlog", RPS: 25922, Limit: "backlog"},
	{Phase: 6, Name: "nethttp", RPS: 72913.7, Limit: "cpu"},
	{Phase: 7, Name: "fasthttp", RPS: 125979, Limit: "cpu"},
	{Phase: 8, Name: "gnet", RPS: 141955.3, Limit: "cpu"},
	{Phase: 9, Name: "gnet-c10k", RPS: 117781.3, Limit: "cpu"},
}}

// The reference cards run one trial per step. phase5Trials and phase3Trials
// were measured for this package (2026-12-01, bin/scalelab run of
// phases/05-pool-backlog.yaml and 03-pool-keepalive.yaml with trials: 3)
// while other tests loaded the machine: throughput is a quarter of the
// reference's and spreads widely between trials, which is what the error
// bars are for. In phase3Trials the sweet spot is also the breaking point.
// busy-phase05-connect-*.b64 are connect histograms of the same run.

var phase5Trials = Sweep{Label: "phase 5 pool-backlog, 3 trials", SweetSpot: 50, BreakingPoint: 200, Limit: "backlog", Threshold: 0.99, Steps: []Step{
	{Clients: 50, Trials: []Trial{
		{RPS: 6265, Success: 1, Latency: Latency{P50: 2.643, P90: 13.567, P99: 50.111, P999: 239.231}},
		{RPS: 7750.7, Success: 1, Latency: Latency{P50: 2.253, P90: 11.159, P99: 27.375, P999: 56.447}},
		{RPS: 6342.3, Success: 1, Latency: Latency{P50: 2.909, P90: 15.007, P99: 48.063, P999: 82.239}},
	}},
	{Clients: 200, Trials: []Trial{
		{RPS: 3521.3, Success: 1, Latency: Latency{P50: 19.023, P90: 63.231, P99: 249.471, P999: 298.239}},
		{RPS: 7048, Success: 1, Latency: Latency{P50: 10.135, P90: 31.887, P99: 93.567, P999: 142.591}},
		{RPS: 7679.3, Success: 1, Latency: Latency{P50: 9.543, P90: 29.727, P99: 69.567, P999: 98.623}},
	}},
	{Clients: 500, Trials: []Trial{
		{RPS: 4055, Success: 1, Latency: Latency{P50: 19.807, P90: 62.943, P99: 258.047, P999: 469.503}},
		{RPS: 2883, Success: 1, Latency: Latency{P50: 24.591, P90: 84.543, P99: 650.239, P999: 968.191}},
		{RPS: 4685.7, Success: 1, Latency: Latency{P50: 15.263, P90: 51.039, P99: 133.247, P999: 283.135}},
	}},
	{Clients: 1000, Trials: []Trial{
		{RPS: 2669.7, Success: 1, Latency: Latency{P50: 27.663, P90: 100.607, P99: 424.703, P999: 862.207}},
		{RPS: 3951.3, Success: 1, Latency: Latency{P50: 23.375, P90: 55.359, P99: 880.639, P999: 899.071}},
		{RPS: 6203.3, Success: 1, Latency: Latency{P50: 13.031, P90: 39.967, P99: 450.303, P999: 1731.583}},
	}},
}}

var phase3Trials = Sweep{Label: "phase 3 pool-keepalive, 3 trials", SweetSpot: 16, BreakingPoint: 16, Limit: "cpu", Threshold: 0.99, Steps: []Step{
	{Clients: 4, Trials: []Trial{
		{RPS: 615.7, Success: 1, Latency: Latency{P50: 5.743, P90: 7.831, P99: 14.783, P999: 86.655}},
		{RPS: 521, Success: 1, Latency: Latency{P50: 5.811, P90: 10.175, P99: 33.279, P999: 65.311}},
		{RPS: 497.3, Success: 1, Latency: Latency{P50: 5.759, P90: 10.327, P99: 49.855, P999: 81.023}},
	}},
	{Clients: 8, Trials: []Trial{
		{RPS: 1024.7, Success: 1, Latency: Latency{P50: 5.891, P90: 11.191, P99: 32.639, P999: 81.727}},
		{RPS: 615.7, Success: 1, Latency: Latency{P50: 6.223, P90: 22.127, P99: 136.319, P999: 264.191}},
		{RPS: 793.3, Success: 1, Latency: Latency{P50: 6.279, P90: 13.567, P99: 66.751, P999: 272.127}},
	}},
	{Clients: 16, Trials: []Trial{
		{RPS: 1791.7, Success: 1, Latency: Latency{P50: 6.559, P90: 11.847, P99: 39.711, P999: 153.599}},
		{RPS: 1605, Success: 1, Latency: Latency{P50: 6.347, P90: 10.615, P99: 52.159, P999: 428.287}},
		{RPS: 911, Success: 1, Latency: Latency{P50: 7.019, P90: 40.063, P99: 143.871, P999: 220.671}},
	}},
	{Clients: 32, Trials: []Trial{
		{RPS: 1181.3, Success: 1, Latency: Latency{P50: 6.195, P90: 20.095, P99: 119.999, P999: 301.055}},
		{RPS: 1239, Success: 1, Latency: Latency{P50: 6.323, P90: 24.079, P99: 119.743, P999: 131.455}},
		{RPS: 884, Success: 1, Latency: Latency{P50: 6.419, P90: 24.607, P99: 196.095, P999: 438.271}},
	}},
	{Clients: 100, Trials: []Trial{
		{RPS: 1006.3, Success: 1, Latency: Latency{P50: 6.379, P90: 32.063, P99: 211.455, P999: 280.319}},
		{RPS: 1603, Success: 1, Latency: Latency{P50: 6.175, P90: 12.055, P99: 111.743, P999: 271.103}},
		{RPS: 549.3, Success: 1, Latency: Latency{P50: 6.455, P90: 40.063, P99: 208.767, P999: 352.255}},
	}},
	{Clients: 500, Trials: []Trial{
		{RPS: 1251.3, Success: 1, Latency: Latency{P50: 6.231, P90: 15.935, P99: 100.095, P999: 669.183}},
		{RPS: 1593.3, Success: 1, Latency: Latency{P50: 6.207, P90: 15.975, P99: 80.191, P999: 120.895}},
		{RPS: 1880, Success: 1, Latency: Latency{P50: 6.203, P90: 14.935, P99: 44.031, P999: 54.687}},
	}},
}}
