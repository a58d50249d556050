using BenchmarkDotNet.Running;
using Engine.Bench;

// dotnet run -c Release --project bench/Engine.Bench -- compare [--json] [--only NAME,...]
//     times the DESIGN.md section 5 workloads (the engine's half of bench/compare.sh)
// dotnet run -c Release --project bench/Engine.Bench -- [BenchmarkDotNet args, e.g. --filter *Gemm*]
if (args.Length > 0 && args[0] == "compare") return Compare.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Compare).Assembly).Run(args);
return 0;
