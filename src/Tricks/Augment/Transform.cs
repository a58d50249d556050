namespace Engine.Data;

/// <summary>A per-sample transform of an image [C,H,W] (augmentation, normalization).</summary>
public interface ITransform
{
    /// <summary>Transforms a [C,H,W] tensor (or [H,W], [F]); returns a new tensor, the input is left as it is.</summary>
    Tensor Apply(Tensor x);

    /// <summary>Transforms an image; may work in place and return it, or return a new one (e.g. a crop).</summary>
    Image Apply(Image image);
}

/// <summary>Base of transforms: the tensor overload copies into an <see cref="Image"/> and back.</summary>
public abstract class Transform : ITransform
{
    public abstract Image Apply(Image image);

    public Tensor Apply(Tensor x)
    {
        var img = Image.FromTensor(x);
        var r = Apply(img);
        // Same geometry: keep the input's shape ([H,W] and [F] stay so); otherwise [C,H',W'].
        return r.C == img.C && r.H == img.H && r.W == img.W ? Tensor.FromArray(r.Data, x.Shape.ToArray()) : r.ToTensor();
    }

    /// <summary>Applies the transform to every image of a batch [B,C,H,W]; returns [B,C,H',W'].</summary>
    public Tensor ApplyBatch(Tensor x)
    {
        if (x.Rank != 4) throw new ShapeException($"{GetType().Name}.ApplyBatch: expected [B,C,H,W], got {x.Shape}");
        int b = x.Size(0), c = x.Size(1), h = x.Size(2), w = x.Size(3), n = c * h * w;
        var src = x.ToArray();
        float[]? dst = null; int oc = 0, oh = 0, ow = 0;
        for (int i = 0; i < b; i++)
        {
            var r = Apply(new Image(c, h, w, src.AsSpan(i * n, n).ToArray()));
            if (dst == null) { (oc, oh, ow) = (r.C, r.H, r.W); dst = new float[b * r.Data.Length]; }
            else if (r.C != oc || r.H != oh || r.W != ow)
                throw new ShapeException($"{GetType().Name}.ApplyBatch: image {i} came out [{r.C},{r.H},{r.W}], image 0 [{oc},{oh},{ow}]");
            r.Data.CopyTo(dst, i * r.Data.Length);
        }
        return Tensor.FromArray(dst!, b, oc, oh, ow);
    }
}

/// <summary>
/// A transform with random draws. Every draw comes from <see cref="Generator"/>: the one given, or a
/// fork of <see cref="Engine.Generator.Default"/> taken at construction (so Seed.Everything before
/// building the pipeline makes it reproducible, and no thread ever touches the global generator).
/// </summary>
public abstract class RandomTransform(Generator? generator) : Transform
{
    public Generator Generator { get; } = generator ?? Engine.Generator.Default.Fork();

    /// <summary>True with probability p.</summary>
    protected bool Chance(double p) => p >= 1 || (p > 0 && Generator.NextDouble() < p);

    /// <summary>Uniform in [lo, hi).</summary>
    protected double Uniform(double lo, double hi) => lo + (hi - lo) * Generator.NextDouble();
}

/// <summary>Chains transforms: Compose(a, b, c).Apply(x) = c(b(a(x))).</summary>
public sealed class Compose(params ITransform[] transforms) : Transform
{
    public IReadOnlyList<ITransform> Transforms { get; } = transforms;

    public override Image Apply(Image image)
    {
        foreach (var t in Transforms) image = t.Apply(image);
        return image;
    }
}
