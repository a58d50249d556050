using BenchmarkDotNet.Running;
using Engine.Bench;

// dotnet run -c Release --project bench/Engine.Bench -- compare [--json] [--only NAME,...] [--repeat n]
//     times the DESIGN.md section 5 workloads (the engine's half of bench/compare.sh)
// dotnet run -c Release --project bench/Engine.Bench -- optim [--only adam,muon] [--size N] [--count K] [--steps S]
//     the update time of every optimizer for 10M parameters (OptimBench)
// dotnet run -c Release --project bench/Engine.Bench -- attention-memory
//     bytes the fused and the naive attention keep for backward at T = 256 .. 2048 (O(T) against O(T^2))
// dotnet run -c Release --project bench/Engine.Bench -- ab [--only lstm] [--rounds n]
//     in-process A/B of a change: old and new way of a workload alternating, best medians, the ratio (AbBench)
// dotnet run -c Release --project bench/Engine.Bench -- transformer-profile [rounds]
//     where the transformer workload's time goes: GEMMs, attention, LayerNorm, copies, bias (TransformerProfile)
// dotnet run -c Release --project bench/Engine.Bench -- peak
//     the GEMM micro-kernel alone on L1-resident panels: the ceiling for the GEMM
// dotnet bench/Engine.Bench/bin/Release/net10.0/Engine.Bench.dll ddp|allreduce [...] (alone or under mpirun)
//     data-parallel training throughput and the all-reduce alone (DdpBench; bench/distributed.sh runs the table)
// dotnet run -c Release --project bench/Engine.Bench -- --inProcess --filter '*GemmBench*'
//     BenchmarkDotNet suites; --inProcess skips building a generated project (which can time out on a loaded 2-core machine)
if (args.Length > 0 && args[0] == "compare") return Compare.Run(args[1..]);
if (args.Length > 0 && args[0] == "peak") return Peak.Run();
if (args.Length > 0 && args[0] == "ab") return AbBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "transformer-profile") return TransformerProfile.Run(args[1..]);
if (args.Length > 0 && args[0] == "attention-memory") return AttentionWorkloads.Memory();
if (args.Length > 0 && args[0] == "ddp") return DdpBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "allreduce") return DdpBench.Allreduce(args[1..]);
if (args.Length > 0 && args[0] == "optim") return OptimBench.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Compare).Assembly).Run(args);
return 0;
