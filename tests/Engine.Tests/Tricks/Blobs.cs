namespace Engine.Tests.Tricks;

/// <summary>A small separable problem: Gaussian blobs around one centre per class, in batches.</summary>
internal static class Blobs
{
    public static List<(Tensor x, Tensor y)> Make(int n, int features, int classes, int batch, long seed, float spread = 0.6f)
    {
        var g = new Generator(seed);
        var centres = new float[classes, features];
        var cg = new Generator(1234);                       // the same centres for every split
        for (int c = 0; c < classes; c++) for (int f = 0; f < features; f++) centres[c, f] = (float)cg.NextGaussian() * 2f;
        var batches = new List<(Tensor, Tensor)>();
        for (int s = 0; s < n; s += batch)
        {
            int b = Math.Min(batch, n - s);
            var x = new float[b * features]; var y = new int[b];
            for (int i = 0; i < b; i++)
            {
                y[i] = g.NextInt(classes);
                for (int f = 0; f < features; f++) x[i * features + f] = centres[y[i], f] + spread * (float)g.NextGaussian();
            }
            batches.Add((Tensor.FromArray(x, b, features).Keep(), Tensor.FromArray(y, b).Keep()));
        }
        return batches;
    }
}
