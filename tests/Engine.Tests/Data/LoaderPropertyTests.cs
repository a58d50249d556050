using Engine.Data;
using FsCheck;
using FsCheck.Xunit;

namespace Engine.Tests.Data;

public class LoaderPropertyTests
{
    /// <summary>For any size, batch size, drop-last and seed: batch sizes are right and every sample comes once
    /// (all n, or the n - n % B of the full batches with drop-last), and the same seed gives the same order.</summary>
    [Property(MaxTest = 60)]
    public bool EpochCoversTheDataset(PositiveInt count, PositiveInt batch, bool dropLast, bool shuffle, int seed)
    {
        int n = count.Get % 50 + 1, b = batch.Get % 12 + 1;
        var ds = new TensorDataset(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), new int[n], 1);
        List<int> Run(int prefetch)
        {
            var l = new DataLoader(ds, b, shuffle, dropLast, generator: new Generator(seed), prefetch: prefetch);
            var all = new List<int>();
            foreach (var (x, y) in l)
            {
                if (x.Size(0) != b && (dropLast || all.Count + x.Size(0) != n)) return [-1];
                all.AddRange(x.ToArray().Select(v => (int)v));
            }
            return all;
        }
        var a = Run(0);
        int expected = dropLast ? n - n % b : n;
        return a.Count == expected && a.Distinct().Count() == expected && a.All(i => i >= 0 && i < n)
            && (shuffle || a.SequenceEqual(Enumerable.Range(0, expected)))
            && a.SequenceEqual(Run(3));
    }
}
