namespace Engine.Data;

/// <summary>The resampled set from SMOTE: the original rows first, then the synthetic ones.</summary>
/// <param name="X">Features [N', F] row-major.</param>
/// <param name="Y">Labels [N'].</param>
/// <param name="Synthetic">For each synthetic row (in order): the sample and the neighbour it lies between, and the gap u in [0, 1).</param>
public sealed record SmoteResult(float[] X, int[] Y, int Features, BalanceReport Report, (int sample, int neighbour, float gap)[] Synthetic)
{
    public TensorDataset ToDataset() => new(X, Y, Features);
}

/// <summary>
/// SMOTE (Chawla, Bowyer, Hall and Kegelmeyer 2002) on feature vectors. Each class with fewer than
/// target = ceil(targetRatio * majority count) samples gets target - count synthetic samples
/// x_new = x_i + u (x_nn - x_i), u ~ U[0, 1), where x_nn is one of the k nearest neighbours (Euclidean) of
/// x_i within the same class. The base samples x_i are taken in turns over a shuffled order of the class,
/// so each minority sample seeds about the same number of synthetic ones, as in the paper.
/// </summary>
public sealed class Smote
{
    public Smote(int k = 5, double targetRatio = 1.0, long? seed = null, Generator? generator = null)
    {
        if (k <= 0) throw new ArgumentOutOfRangeException(nameof(k), $"SMOTE: k must be positive, got {k}");
        if (!(targetRatio > 0 && targetRatio <= 1)) throw new ArgumentOutOfRangeException(nameof(targetRatio), $"SMOTE: target ratio (minority / majority after resampling) must be in (0, 1], got {targetRatio}");
        K = k; TargetRatio = targetRatio;
        Generator = seed is long s ? new Generator(s) : generator ?? Engine.Generator.Default.Fork();
    }

    public int K { get; }
    public double TargetRatio { get; }
    public Generator Generator { get; }

    /// <summary>Resamples a labelled dataset of feature rows [F] (any dataset: a split's <see cref="Subset{T}"/>, a scaled view).</summary>
    public SmoteResult FitResample(IDataset<(Tensor x, int y)> dataset)
    {
        if (dataset.Count == 0) throw new ArgumentException("SMOTE: the dataset is empty");
        int features = -1;
        var x = new List<float>(); var labels = new int[dataset.Count];
        for (int i = 0; i < labels.Length; i++)
        {
            var (t, y) = dataset[i];
            using (t)
            {
                if (t.Rank != 1) throw new ShapeException($"SMOTE: samples must be feature rows [F]; sample {i} has shape {t.Shape}");
                if (features < 0) features = t.Numel;
                else if (t.Numel != features) throw new ShapeException($"SMOTE: sample {i} has {t.Numel} features, sample 0 has {features}");
                x.AddRange(t.ToArray());
            }
            labels[i] = y;
        }
        return FitResample(x.ToArray(), features, labels);
    }

    /// <summary>Resamples x [N, features] with labels [N].</summary>
    public SmoteResult FitResample(float[] x, int features, int[] labels)
    {
        if (features <= 0 || x.Length != labels.Length * features)
            throw new ShapeException($"SMOTE: {labels.Length} labels with {features} features need {labels.Length * features} values, got {x.Length}");
        var byClass = ClassIndex.ByClass(labels);
        var before = byClass.Select(g => g.Length).ToArray();
        int target = (int)Math.Ceiling(TargetRatio * before.Max());
        var outX = new List<float>(x); var outY = new List<int>(labels);
        var synth = new List<(int, int, float)>();
        for (int c = 0; c < byClass.Length; c++)
        {
            var members = byClass[c];
            int need = target - members.Length;
            if (need <= 0 || members.Length == 0) continue;
            if (members.Length < 2)
                throw new ArgumentException($"SMOTE: class {c} has {members.Length} sample; at least 2 are needed to interpolate between neighbours");
            var neighbours = Neighbours(x, features, members, Math.Min(K, members.Length - 1));
            var order = Generator.Permutation(members.Length);
            for (int j = 0; j < need; j++)
            {
                int a = order[j % members.Length];
                int b = neighbours[a][Generator.NextInt(neighbours[a].Length)];
                float u = Generator.NextFloat();
                int ia = members[a], ib = members[b];
                for (int f = 0; f < features; f++)
                {
                    float xa = x[ia * features + f];
                    outX.Add(xa + u * (x[ib * features + f] - xa));
                }
                outY.Add(c);
                synth.Add((ia, ib, u));
            }
        }
        var y = outY.ToArray();
        var report = new BalanceReport($"SMOTE (k = {K}, target ratio {TargetRatio})", before, ClassIndex.Counts(y, before.Length));
        return new SmoteResult(outX.ToArray(), y, features, report, synth.ToArray());
    }

    /// <summary>For each member (by position in members), the positions of its k nearest other members (brute force, O(n^2 F)).</summary>
    internal static int[][] Neighbours(float[] x, int features, int[] members, int k)
    {
        int n = members.Length;
        var result = new int[n][];
        var dist = new double[n]; var idx = new int[n];
        for (int i = 0; i < n; i++)
        {
            var xi = x.AsSpan(members[i] * features, features);
            for (int j = 0; j < n; j++)
            {
                idx[j] = j;
                if (j == i) { dist[j] = double.PositiveInfinity; continue; }
                var xj = x.AsSpan(members[j] * features, features);
                double d = 0;
                for (int f = 0; f < features; f++) { double t = xi[f] - xj[f]; d += t * t; }
                dist[j] = d;
            }
            Array.Sort((double[])dist.Clone(), idx);   // ties keep no particular order; distance is what matters
            result[i] = idx[..k];
        }
        return result;
    }
}
