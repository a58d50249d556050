namespace Engine.Data;

/// <summary>
/// Curriculum learning (Bengio et al. 2009; pacing as in Hacohen and Weinshall 2019). Samples are ranked
/// from easy to hard by a difficulty score (lower = easier): given by the user, or the per-sample loss of a
/// previous model or epoch (<see cref="UpdateDifficulty"/>, for self-paced use). At epoch t only the
/// ceil(g(t) N) easiest samples are available, g being the <see cref="Pacing"/>; the epoch visits them
/// shuffled (or in easy-to-hard order when <c>ordered</c>). Once g reaches 1 every epoch is the whole set,
/// shuffled: the curriculum ends with the data mixed.
/// </summary>
public sealed class CurriculumSampler : ISampler
{
    private int[] _rank = [];   // sample indices sorted by difficulty, ties by index

    public CurriculumSampler(float[] difficulty, Pacing pacing, bool ordered = false)
    {
        Pacing = pacing; Ordered = ordered;
        UpdateDifficulty(difficulty);
    }

    public Pacing Pacing { get; }

    /// <summary>Whether a partial epoch runs easy to hard (true) or shuffled (false). The full set is always shuffled.</summary>
    public bool Ordered { get; }

    public int Count => _rank.Length;

    /// <summary>Sample indices from easiest to hardest.</summary>
    public IReadOnlyList<int> Ranking => _rank;

    /// <summary>Re-ranks the samples, e.g. with the per-sample losses of the last epoch.</summary>
    public void UpdateDifficulty(float[] difficulty)
    {
        if (difficulty.Length == 0) throw new ArgumentException("curriculum: no samples");
        for (int i = 0; i < difficulty.Length; i++)
            if (float.IsNaN(difficulty[i])) throw new ArgumentException($"curriculum: difficulty of sample {i} is NaN");
        var idx = Enumerable.Range(0, difficulty.Length).ToArray();
        // OrderBy is stable: equal scores keep index order, so the ranking is deterministic.
        _rank = idx.OrderBy(i => difficulty[i]).ToArray();
    }

    /// <summary>How many of the easiest samples epoch t may use: ceil(g(t) N), at least 1.</summary>
    public int Available(int epoch)
    {
        double g = Pacing.Fraction(epoch);
        if (!(g > 0 && g <= 1)) throw new InvalidOperationException($"curriculum: pacing gave fraction {g} at epoch {epoch}; it must be in (0, 1]");
        return Math.Clamp((int)Math.Ceiling(g * Count - 1e-9), 1, Count);
    }

    public int NumSamples(int epoch) => Available(epoch);

    public int[] EpochIndices(int epoch, Generator generator)
    {
        int n = Available(epoch);
        var pool = _rank[..n];
        if (Ordered && n < Count) return pool;
        var p = generator.Permutation(n);
        return p.Select(i => pool[i]).ToArray();
    }
}
