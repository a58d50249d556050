namespace Engine.Functions;

// y = x with dims reordered (permute, transpose)        dx = dy permuted by the inverse order
internal sealed class Permute : Function
{
    private int[] _inverse = [];

    public static Tensor Forward(Tensor x, int[] dims, string op)
    {
        var layout = x.Layout.Permute(dims, op);
        var y = Tensor.Create(x.Storage, layout);
        if (!Autograd.Needed(x)) return y;
        var inv = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++) inv[x.Shape.Dim(dims[i], op)] = i;
        return Autograd.Record(new Permute { _inverse = inv }, y, x);
    }

    protected internal override Tensor?[] Backward(Tensor dy) => [dy.Permute(_inverse)];
}
