namespace Engine;

// The fused layer-norm op (F.LayerNorm in Engine.Layers is the user-facing entry).
public static partial class TensorApi
{
    extension(Tensor)
    {
        /// <summary>
        /// (x - mean) / sqrt(var + eps) * weight + bias over the last n elements of each row, by the backend's fused
        /// kernel (<see cref="ILayerNormKernels"/>); weight and bias (optional) hold n elements. Throws when the backend
        /// has no fused kernel.
        /// </summary>
        public static Tensor FusedLayerNorm(Tensor x, Tensor? weight, Tensor? bias, int n, float eps)
        {
            if (x.Backend is not ILayerNormKernels)
                throw new NotSupportedException($"fused layer norm: the {x.Device} backend has no fused layer-norm kernel; use F.LayerNormNaive");
            return Functions.FusedLayerNorm.Forward(x, weight, bias, n, eps);
        }
    }
}
