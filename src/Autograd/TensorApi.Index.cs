namespace Engine;

public static partial class TensorApi
{
    extension(Tensor x)
    {
        /// <summary>Slices along dim at the given indices (an Int32 1-D tensor).</summary>
        public Tensor IndexSelect(int dim, Tensor index) => Functions.IndexSelect.Forward(x, dim, index);
        public Tensor IndexSelect(int dim, int[] index) => Functions.IndexSelect.Forward(x, dim, Tensor.FromArray(index, index.Length).To(x.Device));

        /// <summary>PyTorch's gather: out[i][j] = x[index[i][j]][j] for dim 0, and so on.</summary>
        public Tensor Gather(int dim, Tensor index) => Functions.Gather.Forward(x, dim, index);

        /// <summary>Out-of-place scatter_add: a copy of x with src added at index along dim.</summary>
        public Tensor ScatterAdd(int dim, Tensor index, Tensor src) => Functions.ScatterAdd.Forward(x, dim, index, src);
    }
}
