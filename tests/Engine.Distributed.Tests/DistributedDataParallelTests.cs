using Engine.Data;
using Engine.Training;

namespace Engine.Distributed.Tests;

/// <summary>DistributedDataParallel in one process: with LocalCommunicator, and with a simulated peer.</summary>
[Collection(GlobalGeneratorCollection.Name)]
public class DistributedDataParallelTests
{
    /// <summary>A 2-rank group seen from rank 0 whose peer's values are always (factor - 1) times this rank's.</summary>
    private sealed class ScaledPeer(float factor) : ICommunicator
    {
        public int Rank => 0;
        public int Size => 2;
        public int Allreduces, Broadcasts;
        public void AllreduceSum(Span<float> data) { Allreduces++; foreach (ref var v in data) v *= factor; }
        public void Broadcast(Span<float> data, int root = 0) => Broadcasts++;   // rank 0 is the root: data stays
        public void Barrier() { }
        public void Dispose() { }
    }

    private static (float[] weights, History history) Train(ICommunicator? comm, double lr, int bucketFloats = 1 << 22, bool accumulate = false)
    {
        Seed.Everything(11);
        var gen = new Generator(5);
        var x = Enumerable.Range(0, 48 * 6).Select(_ => (float)gen.NextGaussian()).ToArray();
        var y = Enumerable.Range(0, 48).Select(i => i % 4).ToArray();
        var data = new TensorDataset(x, y, 6);
        var model = new Sequential(new Linear(6, 10), new BatchNorm1d(10), new ReLU(), new Linear(10, 4));
        var opt = new SGD(model.Parameters(), lr: lr);
        var loader = new DataLoader(data, batchSize: 8, sampler: new DistributedSampler(data.Count, 1, 0, seed: 2), prefetch: 0);
        var cbs = new List<Callback>();
        if (accumulate) cbs.Add(new GradAccumulation(4));       // 6 batches: a group of 4 and a last partial group of 2
        if (comm != null) cbs.Add(new DistributedDataParallel(comm, bucketFloats));
        var t = new Trainer(model, opt, (o, target) => F.CrossEntropy(o, target)).With(cbs.ToArray());
        t.Fit(loader, null, epochs: 2);
        return (model.Parameters().SelectMany(p => p.ToArray()).ToArray(), t.History);
    }

    [Fact]
    public void With_one_rank_it_is_plain_training_bit_for_bit()
    {
        Assert.Equal(Train(null, 0.1).weights, Train(LocalCommunicator.Instance, 0.1).weights);
    }

    [Theory]
    [InlineData(1 << 22, false)]   // one bucket
    [InlineData(16, false)]        // a bucket per parameter and more: no parameter is split, all round-trip
    [InlineData(16, true)]         // accumulation, with the last partial group reduced too
    public void Gradients_are_averaged_over_the_ranks_in_every_bucket(int bucketFloats, bool accumulate)
    {
        // peer gradient = 3 × ours, so the average is 2 × ours: exactly the step of twice the learning rate
        var peer = new ScaledPeer(4f);
        var ddp = Train(peer, 0.05, bucketFloats, accumulate);
        var plain = Train(null, 0.1, accumulate: accumulate);
        Assert.Equal(plain.weights, ddp.weights);
        int steps = accumulate ? 2 * 2 : 2 * 6;
        int buckets = bucketFloats == 16 ? 6 : 1;              // weight, bias per layer: 60|10|10|10|40|4 floats (BatchNorm has two)
        Assert.Equal(steps * buckets, peer.Allreduces);
        Assert.True(peer.Broadcasts > 0);
    }

    [Fact]
    public void Bucket_size_must_be_positive()
    {
        Assert.Contains("bucketFloats", Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedDataParallel(LocalCommunicator.Instance, 0)).Message);
    }

    [Fact]
    public void Stopping_is_rank_0s_decision()
    {
        var peer = new StopVoter();
        Seed.Everything(1);
        var model = new Sequential(new Linear(2, 2));
        var data = new TensorDataset(new float[16], new int[8], 2);
        var t = new Trainer(model, new SGD(model.Parameters(), lr: 0.1), (o, y) => F.CrossEntropy(o, y))
            .With(new DistributedDataParallel(peer));
        t.Fit(new DataLoader(data, 4, prefetch: 0), null, epochs: 5);
        Assert.Equal(2, t.History.Epochs["train_loss"].Count);   // rank 0 said stop after its second epoch
    }

    /// <summary>A non-root rank's view: the root's broadcast flag says stop at the second epoch end.</summary>
    private sealed class StopVoter : ICommunicator
    {
        private int _flags;
        public int Rank => 1;
        public int Size => 2;
        public void AllreduceSum(Span<float> data) { foreach (ref var v in data) v *= 2; }
        // one-float broadcasts: the start epoch (left as it is), then one stop flag per epoch end: go, stop
        public void Broadcast(Span<float> data, int root = 0)
        {
            if (data.Length != 1) return;
            _flags++;
            if (_flags == 2) data[0] = 0f;
            if (_flags == 3) data[0] = 1f;
        }
        public void Barrier() { }
        public void Dispose() { }
    }
}
