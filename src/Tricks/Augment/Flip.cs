namespace Engine.Data;

/// <summary>Mirrors the image left-right (x -> W-1-x) with probability p.</summary>
public sealed class RandomHorizontalFlip(double p = 0.5, Generator? generator = null) : RandomTransform(generator)
{
    public override Image Apply(Image image)
    {
        if (!Chance(p)) return image;
        for (int c = 0; c < image.C; c++)
            for (int y = 0; y < image.H; y++) image.Data.AsSpan((c * image.H + y) * image.W, image.W).Reverse();
        return image;
    }
}

/// <summary>Mirrors the image top-bottom (y -> H-1-y) with probability p.</summary>
public sealed class RandomVerticalFlip(double p = 0.5, Generator? generator = null) : RandomTransform(generator)
{
    public override Image Apply(Image image)
    {
        if (!Chance(p)) return image;
        int w = image.W;
        for (int c = 0; c < image.C; c++)
            for (int y = 0; y < image.H / 2; y++)
            {
                var a = image.Data.AsSpan((c * image.H + y) * w, w);
                var b = image.Data.AsSpan((c * image.H + image.H - 1 - y) * w, w);
                for (int x = 0; x < w; x++) (a[x], b[x]) = (b[x], a[x]);
            }
        return image;
    }
}
