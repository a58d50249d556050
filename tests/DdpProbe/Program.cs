// DdpProbe: trains a small MLP data-parallel for a few steps and writes the final weights (rank 0).
//   DdpProbe --optimizer sgd|adam --batch B --epochs E [--clip X] [--accumulate K] [--batchnorm]
//            [--syncbn yes] [--comm mpi|local|env] [--die-rank R --die-step S]
//            [--checkpoint-dir D --checkpoint-steps S] [--resume-dir D] [--log-samples FILE] --out FILE
//   --log-samples: each rank writes FILE.rank{r}, one "step epoch index" line per training sample it took
//   DdpProbe --mode syncbn --batch B [--comm ...] --out FILE    SyncBatchNorm alone: each rank writes FILE.rank{r}
// Data: 16·B·(ranks) samples of 8 features, 3 classes, made from a fixed seed (the same on every rank).
// Initial weights are seeded by rank, so ranks only agree if rank 0's weights are broadcast.
using System.Globalization;
using Engine;
using Engine.Data;
using Engine.Distributed;
using Engine.Training;

var a = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2) a[args[i].TrimStart('-')] = args[i + 1];
string Arg(string k, string d) => a.TryGetValue(k, out var v) ? v : d;
int batch = int.Parse(Arg("batch", "8"), CultureInfo.InvariantCulture);
int epochs = int.Parse(Arg("epochs", "2"), CultureInfo.InvariantCulture);
int samples = int.Parse(Arg("samples", "64"), CultureInfo.InvariantCulture);
int dieRank = int.Parse(Arg("die-rank", "-1"), CultureInfo.InvariantCulture);
int dieStep = int.Parse(Arg("die-step", "-1"), CultureInfo.InvariantCulture);
int accumulate = int.Parse(Arg("accumulate", "1"), CultureInfo.InvariantCulture);

using ICommunicator comm = Arg("comm", "env") switch
{
    "mpi" => MpiCommunicator.Init(),
    "local" => LocalCommunicator.Instance,
    _ => Communicator.FromEnvironment(),
};

if (Arg("mode", "train") == "syncbn") return SyncBnProbe.Run(comm, batch, Arg("out", "syncbn.txt"));

// the data: identical on every rank
var gen = new Generator(1234);
var x = new float[samples * 8];
var y = new int[samples];
for (int i = 0; i < samples; i++)
{
    y[i] = gen.NextInt(3);
    for (int j = 0; j < 8; j++) x[i * 8 + j] = (float)gen.NextGaussian() + (j % 3 == y[i] ? 1f : 0f);
}
var train = new TensorDataset(x, y, 8);

Seed.Everything(100 + comm.Rank);                    // different initial weights per rank
Module model = Arg("batchnorm", "no") == "yes"
    // no bias before BatchNorm (it cancels it: its gradient is rounding noise, which Adam would scale up to full steps)
    ? new Sequential(new Linear(8, 16, bias: false), new BatchNorm1d(16), new ReLU(), new Linear(16, 3))
    : new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 3));
if (Arg("syncbn", "no") == "yes") SyncBatchNorm.ConvertSyncBatchNorm(model, comm);
Optimizer opt = Arg("optimizer", "sgd") == "adam"
    ? new Adam(model.Parameters(), lr: 1e-2)
    : new SGD(model.Parameters(), lr: 0.1, momentum: 0.9);
var loader = new DataLoader(train, batchSize: batch, sampler: new DistributedSampler(train.Count, comm, seed: 7), prefetch: 0);

var callbacks = new List<Callback>();
if (accumulate > 1) callbacks.Add(new GradAccumulation(accumulate));
// before DistributedDataParallel: a resumed checkpoint is loaded first, then rank 0's state is broadcast
if (a.TryGetValue("checkpoint-dir", out var ckDir))
    callbacks.Add(new Checkpoints(ckDir, keepLast: 100, everySteps: int.Parse(Arg("checkpoint-steps", "0"), CultureInfo.InvariantCulture)) { Loader = loader, WriteFiles = comm.IsRoot() });
if (a.TryGetValue("resume-dir", out var resumeDir))
    callbacks.Add(new Checkpoints(resumeDir, resume: true) { Loader = loader, WriteFiles = false });
var ddp = new DistributedDataParallel(comm, bucketFloats: 64);   // small buckets: several all-reduces per step
callbacks.Add(ddp);
if (a.TryGetValue("clip", out var clip)) callbacks.Add(GradClipping.ByNorm(float.Parse(clip, CultureInfo.InvariantCulture)));
SampleLog? log = a.TryGetValue("log-samples", out var logFile) ? new SampleLog(x, 8) : null;
if (log != null) callbacks.Add(log);
if (dieStep >= 0) callbacks.Add(new DieAt(comm.Rank == dieRank, dieStep, Arg("die-how", "exit")));
if (epochs > 0) new Trainer(model, opt, (o, t) => F.CrossEntropy(o, t)).With(callbacks.ToArray()).Fit(loader, null, epochs);   // 0: the initial weights

if (log != null) File.WriteAllLines($"{logFile}.rank{comm.Rank}", log.Lines);
Console.WriteLine($"rank {comm.Rank} of {comm.Size}: {ddp.Allreduces} gradient all-reduces in {ddp.BucketCount} buckets");
if (comm.IsRoot())
    File.WriteAllLines(Arg("out", "weights.txt"),
        model.StateDict().OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .SelectMany(kv => kv.Value.ToArray().Select(v => kv.Key + " " + v.ToString("R", CultureInfo.InvariantCulture))));
return 0;

/// <summary>Simulates a failing rank after the given step: an exit with code 7 (how = exit) or SIGKILL (how = kill, a crash).</summary>
sealed class DieAt(bool me, int step, string how) : Callback
{
    public override void AfterStep(TrainContext ctx)
    {
        if (!me || ctx.OptimizerSteps != step) return;
        Console.Error.WriteLine($"DdpProbe: this rank dies now ({how}), after step {step}");
        if (how == "kill") System.Diagnostics.Process.GetCurrentProcess().Kill();
        Environment.Exit(7);
    }
}

/// <summary>Which samples a rank trains on: each row's first feature (a Gaussian draw, unique) names its index.</summary>
sealed class SampleLog(float[] data, int features) : Callback
{
    private readonly Dictionary<float, int> _index = Enumerable.Range(0, data.Length / features).ToDictionary(i => data[i * features]);
    public List<string> Lines { get; } = new();

    public override void OnBatchStart(TrainContext ctx)
    {
        var xs = ctx.X.ToArray();
        for (int r = 0; r < xs.Length / features; r++)
            Lines.Add($"{ctx.OptimizerSteps + 1} {ctx.Epoch} {_index[xs[r * features]]}");
    }
}
