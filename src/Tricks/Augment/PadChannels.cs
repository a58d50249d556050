namespace Engine.Data;

/// <summary>
/// Pads the channel dimension with zero channels up to <see cref="Channels"/>: [C,H,W] to
/// [Channels,H,W], or a batch [N,C,H,W] to [N,Channels,H,W]; channels 0..C-1 are the input's.
/// </summary>
/// <remarks>
/// Why: a 3-channel RGB input makes the first convolution's channel loop (the innermost dimension
/// of im2col's GEMM) 3 long, which vectorizes badly; 4 aligns (see docs/advisor.md for what it
/// measures here). A zero channel changes nothing: y = sum over c of w[k,c] * x[c], and x[3] = 0,
/// so a Conv2d(4, K) computes the same as the Conv2d(3, K) made of its first three weight slices,
/// whatever weight slice 3 holds; and that slice's gradient is x[3] * dy = 0, so it stays as initialized.
/// An input with Channels or more channels is returned as a copy, unchanged.
/// </remarks>
public sealed class PadChannels : Transform
{
    public PadChannels(int channels)
    {
        if (channels <= 0) throw new ArgumentOutOfRangeException(nameof(channels), $"PadChannels: channel count must be positive, got {channels}");
        Channels = channels;
    }

    /// <summary>The channel count after padding.</summary>
    public int Channels { get; }

    /// <summary>Pads one image: the planes are copied, the new ones are zero.</summary>
    public override Image Apply(Image image)
    {
        if (image.C >= Channels) return image;
        var data = new float[Channels * image.Plane];
        image.Data.CopyTo(data, 0);
        return new Image(Channels, image.H, image.W, data);
    }

    /// <summary>Pads a [C,H,W] image or an [N,C,H,W] batch (dim -3 is the channel dimension).</summary>
    public Tensor Pad(Tensor x)
    {
        if (x.Rank is not (3 or 4)) throw new ShapeException($"PadChannels({Channels}): expected [C,H,W] or [N,C,H,W], got {x.Shape}");
        int c = x.Size(x.Rank - 3);
        if (c >= Channels) return x.Contiguous().Clone();
        var zshape = x.Shape.ToArray();
        zshape[x.Rank - 3] = Channels - c;
        using var zeros = Tensor.Zeros(new Shape(zshape), x.Device, x.DType);
        return Tensor.Cat([x, zeros], x.Rank - 3);
    }
}
