namespace Engine.Functions;

// y[*, D] = weight[indices[*], :]    (weight [V, D], indices Int32 of any shape)
// dweight = zeros [V, D] with dy's rows added at the looked-up indices (only those rows are touched:
// a row-sparse gradient held densely), and the paddingIdx row kept at zero.
internal sealed class Embedding : Function
{
    private Tensor _index = null!;
    private Shape _w;
    private int _paddingIdx = -1;

    public static Tensor Forward(Tensor indices, Tensor weight, int? paddingIdx)
    {
        Check.IntIndex(indices, "embedding");
        Check.SameDevice(indices, weight, "embedding");
        if (weight.Rank != 2) throw new ShapeException($"embedding: weight must be [numEmbeddings, dim], got {weight.Shape}");
        int d = weight.Shape[1];
        var flat = indices.Rank == 1 ? indices : indices.Reshape(-1);
        var rows = weight.Backend.IndexSelect(weight, 0, flat);                       // [M, D]
        var outShape = indices.Shape.ToArray().Append(d).ToArray();
        var y = Tensor.Create(rows.Storage, Layout.Contiguous(new Shape(outShape)));
        rows.Dispose();
        if (!Autograd.Needed(weight)) return y;
        var fn = new Embedding { _w = weight.Shape, _paddingIdx = paddingIdx ?? -1 };
        fn._index = fn.Save(flat);
        return Autograd.Record(fn, y, weight);
    }

    protected internal override Tensor?[] Backward(Tensor dy)
    {
        var dw = Tensor.Zeros(_w, dy.Device);
        var rows = dy.Reshape(-1, _w[1]);
        dy.Backend.IndexAdd(dw, 0, _index, rows);
        if (_paddingIdx >= 0) dw.Narrow(0, _paddingIdx, 1).Fill_(0f);
        return [dw];
    }

    // With a padding row, this op's contribution to that row must stay zero while other contributions to it may not be:
    // that case keeps Backward.
    internal override bool AddsGradInto => _paddingIdx < 0;

    protected internal override void AddGradInto(Tensor dy, Tensor target) => dy.Backend.IndexAdd(target, 0, _index, dy.Reshape(-1, _w[1]));
}
