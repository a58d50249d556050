namespace Engine.Data;

/// <summary>
/// Cutout (DeVries and Taylor 2017): <c>holes</c> squares of side <c>length</c>, centred at uniform pixels
/// (cy, cx), set to zero in every channel. The centre may lie near the border, so a hole is clipped to
/// rows [max(0, cy - length/2), min(H, cy + length/2)) and likewise for columns, as in the paper's code.
/// Applied to every image (the paper's p = 1); wrap in <see cref="RandomApply"/> for less.
/// </summary>
public sealed class Cutout : RandomTransform
{
    public Cutout(int length, int holes = 1, Generator? generator = null) : base(generator)
    {
        if (length <= 0 || holes <= 0) throw new ArgumentOutOfRangeException(nameof(length), $"Cutout: length {length} and holes {holes} must be positive");
        Length = length; Holes = holes;
    }

    public int Length { get; }
    public int Holes { get; }

    /// <summary>The clipped holes of the last call: rows [y0, y1), columns [x0, x1).</summary>
    public List<(int y0, int y1, int x0, int x1)> LastHoles { get; } = [];

    public override Image Apply(Image image)
    {
        LastHoles.Clear();
        for (int k = 0; k < Holes; k++)
        {
            int cy = Generator.NextInt(image.H), cx = Generator.NextInt(image.W);
            int y0 = Math.Clamp(cy - Length / 2, 0, image.H), y1 = Math.Clamp(cy + Length / 2, 0, image.H);
            int x0 = Math.Clamp(cx - Length / 2, 0, image.W), x1 = Math.Clamp(cx + Length / 2, 0, image.W);
            LastHoles.Add((y0, y1, x0, x1));
            for (int c = 0; c < image.C; c++)
                for (int y = y0; y < y1; y++) image.Data.AsSpan((c * image.H + y) * image.W + x0, x1 - x0).Clear();
        }
        return image;
    }
}

/// <summary>Applies a transform with probability p (torchvision's RandomApply).</summary>
public sealed class RandomApply(ITransform transform, double p, Generator? generator = null) : RandomTransform(generator)
{
    public override Image Apply(Image image) => Chance(p) ? transform.Apply(image) : image;
}
