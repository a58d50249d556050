using Engine.Kernels.Ops;

namespace Engine;

public static partial class TensorApi
{
    extension(Tensor x)
    {
        /// <summary>
        /// Backpropagates from this tensor: fills <see cref="Tensor.Grad"/> of every leaf that requires grad
        /// (accumulating with +=). Without a gradient the tensor must have one element.
        /// </summary>
        public void Backward(Tensor? gradient = null, bool retainGraph = false) => Backprop.Run(x, gradient, retainGraph);

        /// <summary>The same data, cut out of the graph (no gradient flows through it).</summary>
        public Tensor Detach() => Tensor.Create(x.Storage, x.Layout);

        /// <summary>Marks a leaf as requiring gradients and returns it (fluent).</summary>
        public Tensor RequiresGrad_(bool value = true)
        {
            x.RequiresGrad = value;
            return x;
        }

        /// <summary>A copy on another device (the tensor itself when already there).</summary>
        public Tensor To(Device device) => x.Device == device ? x : Functions.Transfer.Forward(x, device);

        /// <summary>A copy with another element type (Float16 rounds as IEEE half).</summary>
        public Tensor ToDType(DType dtype) => x.DType == dtype ? x : Functions.Cast.Forward(x, dtype);

        // ---- in-place ops: no graph; for optimizers, initialization and buffers ----

        /// <summary>In place: x += alpha * other (other broadcast to x).</summary>
        public Tensor Add_(Tensor other, float alpha = 1f)
        {
            CheckInPlace(x, "add_");
            if (alpha == 1f) x.Backend.ZipInPlace(x, other, new AddOp()); else x.Backend.ZipInPlace(x, other, new AddScaledOp(alpha));
            x.Storage.BumpVersion();
            return x;
        }

        /// <summary>In place: x = x * s + t.</summary>
        public Tensor Affine_(float scale, float shift = 0f)
        {
            CheckInPlace(x, "affine_");
            x.Backend.MapInPlace(x, new AffineOp(scale, shift));
            x.Storage.BumpVersion();
            return x;
        }

        public Tensor Mul_(float s) => x.Affine_(s);

        /// <summary>In place: x *= other (broadcast).</summary>
        public Tensor Mul_(Tensor other)
        {
            CheckInPlace(x, "mul_");
            x.Backend.ZipInPlace(x, other, new MulOp());
            x.Storage.BumpVersion();
            return x;
        }

        /// <summary>In place: x = alpha * x + beta * other (EMA, moments).</summary>
        public Tensor Lerp_(Tensor other, float alpha, float beta)
        {
            CheckInPlace(x, "lerp_");
            x.Backend.ZipInPlace(x, other, new LinearCombOp(alpha, beta));
            x.Storage.BumpVersion();
            return x;
        }

        /// <summary>In place: applies any op struct elementwise.</summary>
        public Tensor Apply_<TOp>(TOp op) where TOp : struct, IUnaryOp
        {
            CheckInPlace(x, "apply_");
            x.Backend.MapInPlace(x, op);
            x.Storage.BumpVersion();
            return x;
        }

        /// <summary>In place: x = op(x, other).</summary>
        public Tensor Apply_<TOp>(Tensor other, TOp op) where TOp : struct, IBinaryOp
        {
            CheckInPlace(x, "apply_");
            x.Backend.ZipInPlace(x, other, op);
            x.Storage.BumpVersion();
            return x;
        }

        /// <summary>In place: copies other's values (broadcast, converted) into x.</summary>
        public Tensor Copy_(Tensor other)
        {
            CheckInPlace(x, "copy_");
            if (other.Device != x.Device) other = other.To(x.Device);
            using var src = other.Shape == x.Shape ? null : Tensor.Create(other.Storage, other.Layout.Expand(x.Shape, "copy_"));
            x.Backend.Copy(src ?? other, x);
            x.Storage.BumpVersion();
            return x;
        }

        public Tensor Fill_(float value)
        {
            CheckInPlace(x, "fill_");
            x.Backend.Fill(x, value);
            x.Storage.BumpVersion();
            return x;
        }

        public Tensor Zero_() => x.Fill_(0f);
    }

    private static void CheckInPlace(Tensor x, string op)
    {
        x.ThrowIfDisposed(op);
        if (Autograd.IsEnabled && Autograd.Tracks(x))
            throw new InvalidOperationException($"{op}: in-place change of {x.Describe()}, which takes part in autograd; do it inside Tensor.NoGrad() (as optimizers do) or on a Detach()ed tensor");
    }
}
