namespace Engine.Data;

/// <summary>The output of RICAP on a batch.</summary>
/// <param name="X">Patched images [B,C,H,W].</param>
/// <param name="SoftTargets">Mixed labels [B, numClasses] (Float32), each row sums to 1: pass them to a cross-entropy with soft targets.</param>
/// <param name="Boundary">The boundary point (w, h): patch 0 is the top-left h x w, 1 top-right h x (W-w), 2 bottom-left (H-h) x w, 3 bottom-right.</param>
/// <param name="Weights">Area fraction of each patch, w_k h_k / (W H); they sum to 1.</param>
/// <param name="Sources">For each patch k, the batch index whose image fills it in output row b: Sources[k][b].</param>
/// <param name="Crops">Where each patch was cut from its source image: (top, left) in source coordinates.</param>
public sealed record RicapBatch(Tensor X, Tensor SoftTargets, (int w, int h) Boundary, float[] Weights, int[][] Sources, (int top, int left)[] Crops)
{
    public void Deconstruct(out Tensor x, out Tensor softTargets) { x = X; softTargets = SoftTargets; }
}

/// <summary>
/// RICAP, random image cropping and patching (Takahashi, Matsubara and Uehara 2018). A boundary point
/// (w, h) = (round(W b1), round(H b2)) with b1, b2 ~ Beta(beta, beta) splits the output into four
/// rectangles; rectangle k is filled with a crop of that size, at a uniform position, of the images of a
/// random permutation of the batch. The label is the mix of the four labels weighted by the areas:
/// t_b = sum_k (w_k h_k / (W H)) onehot(y[perm_k[b]]). The paper uses beta = 0.3.
/// </summary>
public sealed class Ricap(double beta = 0.3, Generator? generator = null)
{
    public double Beta { get; } = beta > 0 ? beta : throw new ArgumentOutOfRangeException(nameof(beta), $"RICAP: beta must be positive, got {beta}");
    public Generator Generator { get; } = generator ?? Engine.Generator.Default.Fork();

    /// <summary>Patches a batch x [B,C,H,W] with labels y [B] (Int32) into images and soft targets [B, numClasses].</summary>
    public RicapBatch Apply(Tensor x, Tensor y, int numClasses)
    {
        if (x.Rank != 4) throw new ShapeException($"RICAP: expected images [B,C,H,W], got {x.Shape}");
        if (y.Rank != 1 || y.Size(0) != x.Size(0)) throw new ShapeException($"RICAP: labels must be [B] with B = {x.Size(0)}, got {y.Shape}");
        int B = x.Size(0), C = x.Size(1), H = x.Size(2), W = x.Size(3);
        var labels = y.ToIntArray();
        foreach (int l in labels)
            if ((uint)l >= (uint)numClasses) throw new ArgumentOutOfRangeException(nameof(y), $"RICAP: label {l} is outside 0..{numClasses - 1}");
        var src = x.ToArray();
        var dst = new float[src.Length];

        int w = (int)Math.Round(W * Distributions.Beta(Generator, Beta, Beta));
        int h = (int)Math.Round(H * Distributions.Beta(Generator, Beta, Beta));
        int[] ws = [w, W - w, w, W - w], hs = [h, h, H - h, H - h];
        int[] oy = [0, 0, h, h], ox = [0, w, 0, w];          // where each patch goes in the output
        var weights = new float[4]; var sources = new int[4][]; var crops = new (int, int)[4];
        var soft = new float[B * numClasses];
        for (int k = 0; k < 4; k++)
        {
            sources[k] = Generator.Permutation(B);
            int top = Generator.NextInt(H - hs[k] + 1), left = Generator.NextInt(W - ws[k] + 1);
            crops[k] = (top, left);
            weights[k] = (float)((double)ws[k] * hs[k] / ((double)W * H));
            for (int b = 0; b < B; b++)
            {
                int s = sources[k][b];
                soft[b * numClasses + labels[s]] += weights[k];
                for (int c = 0; c < C; c++)
                    for (int r = 0; r < hs[k]; r++)
                        src.AsSpan(((s * C + c) * H + top + r) * W + left, ws[k])
                           .CopyTo(dst.AsSpan(((b * C + c) * H + oy[k] + r) * W + ox[k], ws[k]));
            }
        }
        return new RicapBatch(Tensor.FromArray(dst, B, C, H, W), Tensor.FromArray(soft, B, numClasses), (w, h), weights, sources, crops);
    }
}
