namespace Engine.Distributed.Tests;

/// <summary>
/// SyncBatchNorm in one process: a 1-rank group is BatchNorm bit for bit; a 2- and 3-rank thread group at batch B
/// per rank is one BatchNorm at the concatenated batch (forward, input and weight gradients, running statistics,
/// then eval). The loss is Σ y·g (a sum), so each rank's input gradient is the full batch's, and the weight
/// gradient of the full batch is the sum over ranks. The mpirun form is in MpiLaunchTests.
/// </summary>
public class SyncBatchNormTests
{
    private const float Tol = 1e-5f;

    private static Tensor Rand(Generator gen, params int[] shape) => Tensor.Randn(new Shape(shape), gen);

    /// <summary>Non-trivial weight and bias, and running statistics away from 0/1, so that copying them matters.</summary>
    private static void Init(BatchNormBase bn, int seed)
    {
        var gen = new Generator(seed);
        using var _ = Tensor.NoGrad();
        bn.Weight!.Copy_(Rand(gen, bn.NumFeatures).Mul(0.5f).Add(1f));
        bn.Bias!.Copy_(Rand(gen, bn.NumFeatures));
        bn.RunningMean!.Copy_(Rand(gen, bn.NumFeatures));
        bn.RunningVar!.Copy_(Rand(gen, bn.NumFeatures).Abs().Add(0.5f));
    }

    /// <summary>y = bn(x), backward of Σ y·g; returns y.</summary>
    private static float[] Step(Module bn, Tensor x, Tensor g)
    {
        var y = bn.Forward(x);
        y.Mul(g).Sum().Backward();
        return y.ToArray();
    }

    private static void Close(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tol * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    private static BatchNormBase Plain(int rank, int c) => rank == 4 ? new BatchNorm2d(c) : new BatchNorm1d(c);

    [Theory]
    [InlineData(new[] { 6, 3, 4, 5 })]
    [InlineData(new[] { 8, 5 })]
    [InlineData(new[] { 4, 3, 7 })]
    public void With_a_one_rank_group_it_is_BatchNorm_exactly(int[] shape)
    {
        var gen = new Generator(3);
        int c = shape[1];
        var bn = Plain(shape.Length, c);
        var sync = new SyncBatchNorm(c, LocalCommunicator.Instance);
        Init(bn, 9); Init(sync, 9);
        for (int step = 0; step < 3; step++)
        {
            var x = Rand(gen, shape).Mul(2f).Add(0.7f);
            var g = Rand(gen, shape);
            var x1 = x.Detach(); x1.RequiresGrad = true;
            var x2 = x.Detach(); x2.RequiresGrad = true;
            Assert.Equal(Step(bn, x1, g), Step(sync, x2, g));
            Assert.Equal(x1.Grad!.ToArray(), x2.Grad!.ToArray());
        }
        Assert.Equal(bn.Weight!.Grad!.ToArray(), sync.Weight!.Grad!.ToArray());
        Assert.Equal(bn.Bias!.Grad!.ToArray(), sync.Bias!.Grad!.ToArray());
        Assert.Equal(bn.RunningMean!.ToArray(), sync.RunningMean!.ToArray());
        Assert.Equal(bn.RunningVar!.ToArray(), sync.RunningVar!.ToArray());
        Assert.Equal(3, (int)sync.NumBatchesTracked!.Item());
        Assert.Equal(bn.StateDict().Keys.Order(), sync.StateDict().Keys.Order());
        bn.Eval(); sync.Eval();
        var xe = Rand(gen, shape);
        Assert.Equal(bn.Forward(xe).ToArray(), sync.Forward(xe).ToArray());
    }

    [Theory]
    [InlineData(2, new[] { 4, 4 }, new[] { 3, 6, 5 })]      // [B, C, L]: 2 ranks at batch 4 = batch 8
    [InlineData(2, new[] { 3, 3 }, new[] { 3, 4, 6, 6 })]   // [B, C, H, W]
    [InlineData(2, new[] { 3, 5 }, new[] { 5, 4, 3, 3 })]   // unequal shards: the count is the sum of the ranks' counts
    [InlineData(3, new[] { 4, 4, 4 }, new[] { 4, 6 })]      // [B, C], 3 ranks
    public void Ranks_at_batch_B_equal_one_BatchNorm_at_the_whole_batch(int ranks, int[] batches, int[] shape)
    {
        int c = shape[1], total = batches.Sum();
        var gen = new Generator(17);
        int[] Shp(int b) => [b, .. shape[1..]];
        // two training steps on different data, then eval: the second step uses the running statistics of the first
        var xs = Enumerable.Range(0, 2).Select(_ => Rand(gen, Shp(total)).Mul(1.5f).Add(0.3f)).ToArray();
        var gs = Enumerable.Range(0, 2).Select(_ => Rand(gen, Shp(total))).ToArray();
        var xe = Rand(gen, Shp(total));
        int[] starts = batches.Select((_, r) => batches.Take(r).Sum()).ToArray();

        var bn = Plain(shape.Length, c);
        Init(bn, 21);
        var refY = new float[2][]; var refDx = new float[2][];
        for (int s = 0; s < 2; s++)
        {
            var x = xs[s].Detach(); x.RequiresGrad = true;
            refY[s] = Step(bn, x, gs[s]);
            refDx[s] = x.Grad!.ToArray();
        }
        bn.Eval();
        var refEval = bn.Forward(xe).ToArray();

        var got = new (float[][] y, float[][] dx, float[] dw, float[] db, float[] rm, float[] rv, float[] eval)[ranks];
        ThreadGroup.Run(ranks, comm =>
        {
            int r = comm.Rank;
            var sync = SyncBatchNorm.ConvertSyncBatchNorm(Plain(shape.Length, c), comm);   // a converted BatchNorm
            Init(sync, 21);
            var ys = new float[2][]; var dxs = new float[2][];
            for (int s = 0; s < 2; s++)
            {
                var x = xs[s].Narrow(0, starts[r], batches[r]).Detach(); x.RequiresGrad = true;
                ys[s] = Step(sync, x, gs[s].Narrow(0, starts[r], batches[r]).Contiguous());
                dxs[s] = x.Grad!.ToArray();
            }
            sync.Eval();
            got[r] = (ys, dxs, sync.Weight!.Grad!.ToArray(), sync.Bias!.Grad!.ToArray(), sync.RunningMean!.ToArray(), sync.RunningVar!.ToArray(),
                      sync.Forward(xe.Narrow(0, starts[r], batches[r]).Contiguous()).ToArray());
        });

        int per = shape[1..].Aggregate(1, (p, d) => p * d);
        for (int r = 0; r < ranks; r++)
        {
            float[] Part(float[] a) => a.AsSpan(starts[r] * per, batches[r] * per).ToArray();
            for (int s = 0; s < 2; s++)
            {
                Close(Part(refY[s]), got[r].y[s], $"rank {r} step {s} y");
                Close(Part(refDx[s]), got[r].dx[s], $"rank {r} step {s} dx");
            }
            Close(bn.RunningMean!.ToArray(), got[r].rm, $"rank {r} running_mean");
            Close(bn.RunningVar!.ToArray(), got[r].rv, $"rank {r} running_var");
            Close(Part(refEval), got[r].eval, $"rank {r} eval y");
        }
        // weight and bias gradients: each rank holds its batch's part; their sum (what DDP all-reduces) is the whole batch's
        Close(bn.Weight!.Grad!.ToArray(), Enumerable.Range(0, c).Select(k => got.Sum(g => g.dw[k])).ToArray(), "Σ ranks weight.grad");
        Close(bn.Bias!.Grad!.ToArray(), Enumerable.Range(0, c).Select(k => got.Sum(g => g.db[k])).ToArray(), "Σ ranks bias.grad");
        // and the comparison is not vacuous: a rank's own batch statistics give another output
        var local = Plain(shape.Length, c); Init(local, 21);
        var alone = local.Forward(xs[0].Narrow(0, 0, batches[0]).Contiguous()).ToArray();
        Assert.Contains(alone.Zip(got[0].y[0]), p => Math.Abs(p.First - p.Second) > 1e-3);
    }

    [Fact]
    public void ConvertSyncBatchNorm_converts_every_BatchNorm_in_place_keeping_weights_and_names()
    {
        var block = new ResidualBlock(4, 8, stride: 2);      // Bn1, Bn2 and a BatchNorm2d inside Downsample
        var model = new Sequential(new Conv2d(3, 4, 3, padding: 1), new BatchNorm2d(4), new ReLU(), block);
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var bns = model.NamedModules().Where(m => m.Module is BatchNormBase).ToList();
        Assert.Equal(4, bns.Count);
        var comm = LocalCommunicator.Instance;
        Assert.Same(model, SyncBatchNorm.ConvertSyncBatchNorm(model, comm));
        Assert.All(bns, m => Assert.Same(comm, Assert.IsType<CrossRankBatchStatistics>(((BatchNormBase)m.Module).Statistics).Communicator));
        Assert.NotNull(block.Bn1.Statistics);
        var after = model.StateDict();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (k, v) in before) Assert.Equal(v, after[k].ToArray());
    }

    [Fact]
    public void One_value_per_channel_per_rank_is_enough_together_but_not_alone()
    {
        var gen = new Generator(4);
        var x = Rand(gen, 2, 3);
        var bn = new BatchNorm1d(3);
        var expected = bn.Forward(x).ToArray();                // one BatchNorm over the 2 rows
        var got = new float[2][];
        ThreadGroup.Run(2, comm => got[comm.Rank] = new SyncBatchNorm(3, comm).Forward(x.Narrow(0, comm.Rank, 1).Contiguous()).ToArray());
        Close(expected, [.. got[0], .. got[1]], "y");
        var e = Assert.Throws<ShapeException>(() => new SyncBatchNorm(3, LocalCommunicator.Instance).Forward(x.Narrow(0, 0, 1).Contiguous()));
        Assert.Contains("more than 1 value per channel", e.Message);
        Assert.Throws<ShapeException>(() => new SyncBatchNorm(3, LocalCommunicator.Instance).Forward(Rand(gen, 4, 5)));   // 5 channels, not 3
        Assert.Throws<ShapeException>(() => new SyncBatchNorm(3, LocalCommunicator.Instance).Forward(Rand(gen, 3)));      // rank 1
    }
}
