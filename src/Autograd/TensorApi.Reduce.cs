using Engine.Functions;

namespace Engine;

public static partial class TensorApi
{
    extension(Tensor x)
    {
        /// <summary>Sum of all elements (a scalar).</summary>
        public Tensor Sum() => Functions.Sum.Forward(x, Reduction.Dims(x, null, "sum"), false);
        public Tensor Sum(int dim, bool keepDim = false) => Functions.Sum.Forward(x, Reduction.Dims(x, [dim], "sum"), keepDim);
        public Tensor Sum(int[] dims, bool keepDim = false) => Functions.Sum.Forward(x, Reduction.Dims(x, dims, "sum"), keepDim);

        public Tensor Mean() => x.Mean(Array.Empty<int>());
        public Tensor Mean(int dim, bool keepDim = false) => x.Mean([dim], keepDim);
        public Tensor Mean(int[] dims, bool keepDim = false)
        {
            var d = Reduction.Dims(x, dims, "mean");
            int n = 1;
            foreach (var i in d) n *= x.Shape[i];
            if (n == 0) throw new ShapeException($"mean: cannot average over {n} elements of shape {x.Shape}");
            return Functions.Sum.Forward(x, d, keepDim).Mul(1f / n);
        }

        /// <summary>Largest element (ties share the gradient).</summary>
        public Tensor Max() => Extremum.Forward(x, ReduceKind.Max, Reduction.Dims(x, null, "max"), false);
        public Tensor Max(int dim, bool keepDim = false) => Extremum.Forward(x, ReduceKind.Max, Reduction.Dims(x, [dim], "max"), keepDim);
        public Tensor Max(int[] dims, bool keepDim = false) => Extremum.Forward(x, ReduceKind.Max, Reduction.Dims(x, dims, "max"), keepDim);
        public Tensor Min() => Extremum.Forward(x, ReduceKind.Min, Reduction.Dims(x, null, "min"), false);
        public Tensor Min(int dim, bool keepDim = false) => Extremum.Forward(x, ReduceKind.Min, Reduction.Dims(x, [dim], "min"), keepDim);
        public Tensor Min(int[] dims, bool keepDim = false) => Extremum.Forward(x, ReduceKind.Min, Reduction.Dims(x, dims, "min"), keepDim);

        /// <summary>Variance over dims: mean((x - mean)^2) * n / (n - correction); correction 1 is Bessel's (PyTorch's default).</summary>
        public Tensor Var(int[]? dims = null, bool keepDim = false, int correction = 1)
        {
            var d = Reduction.Dims(x, dims, "var");
            int n = 1;
            foreach (var i in d) n *= x.Shape[i];
            if (n - correction <= 0) throw new ShapeException($"var: {n} elements are too few for correction {correction} (shape {x.Shape})");
            var centered = x.Sub(x.Mean(d, keepDim: true));
            return Functions.Sum.Forward(centered.Square(), d, keepDim).Mul(1f / (n - correction));
        }

        public Tensor Var(int dim, bool keepDim = false, int correction = 1) => x.Var([dim], keepDim, correction);

        public Tensor Std(int[]? dims = null, bool keepDim = false, int correction = 1) => x.Var(dims, keepDim, correction).Sqrt();

        /// <summary>Index of the largest element along dim (Int32; first wins ties).</summary>
        public Tensor Argmax(int dim, bool keepDim = false) => x.Backend.ArgReduce(true, x, x.Shape.Dim(dim, "argmax"), keepDim);
        public Tensor Argmin(int dim, bool keepDim = false) => x.Backend.ArgReduce(false, x, x.Shape.Dim(dim, "argmin"), keepDim);
        /// <summary>Index of the largest element of the flattened tensor.</summary>
        public Tensor Argmax() => x.Reshape(-1).Argmax(0);
    }
}
