using Engine.Data;

namespace Engine.Cli;

/// <summary>
/// The data side of a run: the training and test splits, standardized with the training set's
/// statistics, the class balancing and augmentation chosen by options, and the loaders.
/// The test split is the validation set of the trainer (it is never trained on).
/// </summary>
public sealed class TrainData
{
    public required TensorDataset Train { get; init; }
    public required TensorDataset Test { get; init; }
    public required Standardize Norm { get; init; }
    public required string Origin { get; init; }
    public required DataLoader TrainLoader { get; init; }
    public required DataLoader TestLoader { get; init; }
    /// <summary>The training batches as the trainer sees them (RICAP mixes whole batches after the loader).</summary>
    public required IEnumerable<(Tensor x, Tensor y)> TrainBatches { get; init; }
    public string? BalanceReport { get; init; }
    /// <summary>The generator of the per-sample augmentations (drawn on the loader's worker, in order).</summary>
    public required Generator AugmentGenerator { get; init; }
    /// <summary>The generator of RICAP (drawn on the training thread).</summary>
    public required Generator RicapGenerator { get; init; }

    /// <summary>
    /// Random state of the data side, for checkpoints: [epoch, batch, n, loader generator (n), augmentation
    /// generator (n), RICAP generator (n)]. Restoring it makes a resumed run draw the same batches and augmentations.
    /// </summary>
    public ulong[] GetState()
    {
        var l = TrainLoader.GetState();
        return [(ulong)l.Epoch, (ulong)l.BatchIndex, (ulong)l.Generator.Length, .. l.Generator, .. AugmentGenerator.GetState(), .. RicapGenerator.GetState()];
    }

    public void SetState(ulong[] st)
    {
        int n = st.Length > 2 ? (int)st[2] : -1;
        if (n <= 0 || st.Length != 3 + 3 * n)
            throw new InvalidDataException($"checkpoint: data state has {st.Length} values, expected 3 + 3*n; the checkpoint is from another version, start a new run");
        TrainLoader.SetState(new DataLoaderState((int)st[0], (int)st[1], st[3..(3 + n)]));
        AugmentGenerator.SetState(st[(3 + n)..(3 + 2 * n)]);
        RicapGenerator.SetState(st[(3 + 2 * n)..]);
    }

    public static TrainData Load(TrainSettings s, TextWriter log, Engine.Distributed.ICommunicator? comm = null)
    {
        var (trainSplit, testSplit, origin) = DataSource.Load(s.Data);
        if (s.Data == null && Directory.Exists(DataSource.FullDatasetDir))
            log.WriteLine($"hint: the full Fashion-MNIST is at {DataSource.FullDatasetDir}; train on it with --data {DataSource.FullDatasetDir}");
        var train = TensorDataset.From(trainSplit);
        if (s.Limit < train.Count) train = train.Select(Enumerable.Range(0, s.Limit).ToArray());
        var test = TensorDataset.From(testSplit);
        var norm = Standardize.Fit(train);                // statistics of the training images only

        string? report = null;
        ISampler? sampler = null;
        switch (s.Balance)
        {
            case "smote":
                // SMOTE synthesizes minority images by interpolating flattened [784] features between neighbours.
                var r = new Smote(k: 5).FitResample(Flatten(train), train.SampleShape.Aggregate(1, (a, b) => a * b), Labels(train));
                train = new TensorDataset(r.X, r.Y, train.SampleShape);
                report = $"smote: {r.Report}";
                break;
            case "oversample":
                var over = new RandomOverSampler(Labels(train)); sampler = over; report = $"oversample: {over.NumSamples(0)} samples per epoch";
                break;
            case "undersample":
                var under = new RandomUnderSampler(Labels(train)); sampler = under; report = $"undersample: {under.NumSamples(0)} samples per epoch";
                break;
        }

        var augGen = Generator.Default.Fork();
        var ricapGen = Generator.Default.Fork();
        // Per-sample augmentations: AutoAugment on [0,1] images, then standardization, then the erasers (fill 0 = the mean).
        var steps = new List<ITransform>();
        if (s.Augment.Contains("autoaugment")) steps.Add(new AutoAugment(AutoAugmentPolicy.ImageNet, generator: augGen));
        steps.Add(norm);
        if (s.Augment.Contains("cutout")) steps.Add(new Cutout(length: 8, generator: augGen));
        if (s.Augment.Contains("erasing")) steps.Add(new RandomErasing(p: 0.5, fill: EraseFill.Mean, mean: [0f], generator: augGen));
        IDataset<(Tensor x, int y)> trainSet = steps.Count == 1 ? norm.Apply(train) : Dataset.Transform(train, new Compose([.. steps]));

        // --distributed: rank r of N takes every N-th index of the epoch's seeded permutation (--batch is per rank)
        if (comm != null && sampler != null) throw new UsageException("--distributed cannot be combined with --balance oversample|undersample (their samplers are not sharded by rank)");
        if (comm != null) sampler = new DistributedSampler(trainSet.Count, comm, seed: s.Seed);
        var loader = new DataLoader(trainSet, s.Batch, shuffle: sampler == null, sampler: sampler);
        var testLoader = new DataLoader(norm.Apply(test), batchSize: 500, prefetch: 0);
        IEnumerable<(Tensor x, Tensor y)> batches = loader;
        if (s.Augment.Contains("ricap")) batches = RicapBatches(loader, new Ricap(beta: 0.3, generator: ricapGen), classes: 10);
        return new TrainData
        {
            Train = train, Test = test, Norm = norm, Origin = origin, TrainLoader = loader, TestLoader = testLoader,
            TrainBatches = batches, BalanceReport = report, AugmentGenerator = augGen, RicapGenerator = ricapGen,
        };
    }

    /// <summary>RICAP: each batch becomes four-image patchworks with area-weighted soft targets [B,10].</summary>
    private static IFreshBatches RicapBatches(DataLoader loader, Ricap ricap, int classes) => Batches.Fresh(Patched(loader, ricap, classes));

    // The loader's batch is ours (fresh): it is freed as soon as its patchwork, a new pair of tensors, is made.
    private static IEnumerable<(Tensor x, Tensor y)> Patched(DataLoader loader, Ricap ricap, int classes)
    {
        foreach (var (x, y) in loader)
        {
            Tensor mixed, soft;
            using (x) using (y) (mixed, soft) = ricap.Apply(x, y, classes);
            yield return (mixed, soft);
        }
    }

    private static int[] Labels(TensorDataset ds) => Enumerable.Range(0, ds.Count).Select(i => ds.Labels[i]).ToArray();

    private static float[] Flatten(TensorDataset ds)
    {
        int f = ds.SampleShape.Aggregate(1, (a, b) => a * b);
        var x = new float[ds.Count * f];
        for (int i = 0; i < ds.Count; i++) ds.Row(i).CopyTo(x.AsSpan(i * f, f));
        return x;
    }
}
