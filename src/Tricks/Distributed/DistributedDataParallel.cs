using System.Diagnostics;
using Engine.Distributed;

namespace Engine.Training;

/// <summary>
/// Data-parallel training as a trainer callback (PyTorch's DistributedDataParallel): every rank runs
/// the same model on its own shard of each batch (a <see cref="Engine.Data.DistributedSampler"/>), and
/// before each optimizer step the gradients are averaged over the ranks, so every rank takes the same
/// step and the replicas stay identical.
/// <code>
/// using var comm = MpiCommunicator.Init();                 // or LocalCommunicator.Instance
/// var loader = new DataLoader(train, batchSize: 32, sampler: new DistributedSampler(train.Count, comm, seed: 42));
/// new Trainer(model, opt, F.CrossEntropy)
///     .With(new GradAccumulation(2), new DistributedDataParallel(comm), GradClipping.ByNorm(1f), new MixedPrecision(),
///           new EarlyStopping(3), new Checkpoints("runs/x") { WriteFiles = comm.IsRoot() })
///     .Fit(loader, valid, epochs: 10);
/// </code>
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Start: the parameters and buffers of rank 0 are broadcast (after a checkpoint was resumed, so all
///   ranks continue from rank 0's state; a checkpoint holds no rank count, so a run resumes on any number of ranks).</item>
/// <item>Step: mean over ranks of the mean-reduced loss's gradients = the gradient of the mean over all
///   ranks' samples (equal shards). Gradients are flattened into preallocated buckets of about
///   <see cref="BucketFloats"/> floats, one in-place all-reduce each, after the backward pass.</item>
/// <item>Order in <see cref="Trainer.With"/>: after <see cref="GradAccumulation"/> (it decides which micro-batch
///   steps; only those all-reduce) and before <see cref="GradClipping"/> and <see cref="MixedPrecision"/>, so
///   clipping sees the averaged gradient and every rank agrees on an overflow.</item>
/// <item>Buffers (BatchNorm's running statistics) are local to each rank between steps, as with PyTorch's
///   broadcast_buffers: rank 0's are broadcast before every forward pass, so checkpoints and validation see
///   rank 0's statistics. BatchNorm's batch statistics are per rank (over B, not N·B) unless the model was converted
///   with <see cref="SyncBatchNorm.ConvertSyncBatchNorm"/>.</item>
/// <item>Early stopping and any other <see cref="TrainContext.StopTraining"/> are decided by rank 0 and broadcast at
///   the end of each epoch. Validation runs on every rank over the whole validation set.</item>
/// </list>
/// </remarks>
public sealed class DistributedDataParallel : Callback
{
    private GradientBuckets? _buckets;
    private List<Tensor>? _buffers;
    private float[]? _bufferData;
    private readonly Stopwatch _clock = new();

    /// <param name="comm">the group of ranks.</param>
    /// <param name="bucketFloats">floats per all-reduce (PyTorch's bucket_cap_mb = 25 MB is 6.5M floats).</param>
    /// <param name="broadcastBuffers">broadcast rank 0's buffers before every forward pass.</param>
    public DistributedDataParallel(ICommunicator comm, int bucketFloats = 1 << 22, bool broadcastBuffers = true)
    {
        ArgumentNullException.ThrowIfNull(comm);
        if (bucketFloats < 1) throw new ArgumentOutOfRangeException(nameof(bucketFloats), $"DistributedDataParallel: bucketFloats must be >= 1, got {bucketFloats}");
        Comm = comm; BucketFloats = bucketFloats; BroadcastBuffers = broadcastBuffers;
    }

    public ICommunicator Comm { get; }
    public int BucketFloats { get; }
    public bool BroadcastBuffers { get; }

    /// <summary>Buckets the gradients travel in (after training started).</summary>
    public int BucketCount => _buckets?.Count ?? 0;
    /// <summary>Gradient all-reduces done.</summary>
    public long Allreduces { get; private set; }
    /// <summary>Wall time spent averaging gradients (copies and all-reduces), for benchmarks.</summary>
    public TimeSpan AllreduceTime => _clock.Elapsed;

    public override void OnTrainStart(TrainContext ctx)
    {
        var ps = ctx.Optimizer.ParamGroups.SelectMany(g => g.Params).Distinct().ToList();
        _buckets = new GradientBuckets(ps, BucketFloats);
        _buffers = ctx.Model.Buffers().ToList();
        _bufferData = new float[_buffers.Sum(b => b.Numel)];
        using var _ = Tensor.NoGrad();
        Broadcast(ctx.Model.Parameters().ToList());
        BroadcastModelBuffers();
        SyncOptimizerSteps(ctx);
    }

    public override void OnBatchStart(TrainContext ctx)
    {
        if (BroadcastBuffers && _buffers!.Count > 0) BroadcastModelBuffers();
    }

    public override void AfterBackward(TrainContext ctx)
    {
        if (ctx.SkipStep) return;                    // accumulating: reduce once, on the micro-batch that steps
        ReduceGradients();
    }

    /// <summary>Averages the gradients over the ranks now (GradAccumulation calls it before a last partial step).</summary>
    public void ReduceGradients()
    {
        if (_buckets == null) throw new InvalidOperationException("DistributedDataParallel: training has not started (OnTrainStart builds the buckets)");
        if (Comm.Size == 1) return;
        _clock.Start();
        _buckets.AllreduceMean(Comm);
        _clock.Stop();
        Allreduces++;
    }

    public override void OnEpochEnd(TrainContext ctx)
    {
        // rank 0 decides (early stopping, a callback that stops): every rank leaves after the same epoch
        ctx.StopTraining = Comm.BroadcastFlag(ctx.StopTraining);
    }

    private void BroadcastModelBuffers()
    {
        if (Comm.Size == 1 || _buffers!.Count == 0) return;
        int o = 0;
        foreach (var b in _buffers) { TensorCopy.Read(b, _bufferData.AsSpan(o, b.Numel)); o += b.Numel; }
        Comm.Broadcast(_bufferData, 0);
        o = 0;
        foreach (var b in _buffers) { TensorCopy.Write(b, isGrad: false, _bufferData.AsSpan(o, b.Numel)); o += b.Numel; }
    }

    private void Broadcast(List<Tensor> tensors)
    {
        if (Comm.Size == 1) return;
        foreach (var t in tensors)
        {
            var data = new float[t.Numel];
            TensorCopy.Read(t, data);
            Comm.Broadcast(data, 0);
            TensorCopy.Write(t, isGrad: false, data);
        }
    }

    // A resumed rank 0 and a fresh rank must agree on the step count (schedulers, checkpoint names).
    private void SyncOptimizerSteps(TrainContext ctx)
    {
        if (Comm.Size == 1) return;
        Span<float> v = [ctx.StartEpoch];
        Comm.Broadcast(v, 0);
        if ((int)v[0] != ctx.StartEpoch)
            throw new InvalidOperationException($"DistributedDataParallel: rank {Comm.Rank} starts at epoch {ctx.StartEpoch} but rank 0 at epoch {(int)v[0]}; every rank must resume from the same checkpoint (give each the same Checkpoints directory)");
    }
}
