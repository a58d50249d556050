namespace Engine.Kernels.Cpu;

/// <summary>
/// Shape and strides of several operands walked together in row-major order, with size-1 dims
/// dropped and adjacent dims merged wherever every operand is contiguous across them. After
/// coalescing, most elementwise loops are one long inner run.
/// </summary>
internal sealed class Coalesced
{
    public readonly int[] Shape;
    public readonly int[][] Strides;   // [operand][dim]
    public readonly int[] Offsets;     // [operand]

    private Coalesced(int[] shape, int[][] strides, int[] offsets) { Shape = shape; Strides = strides; Offsets = offsets; }

    public int Rank => Shape.Length;
    public int Inner => Shape.Length == 0 ? 1 : Shape[^1];
    public int InnerStride(int op) => Shape.Length == 0 ? 1 : Strides[op][^1];
    /// <summary>Number of inner runs.</summary>
    public int Outer { get { long n = 1; for (int i = 0; i < Shape.Length - 1; i++) n *= Shape[i]; return (int)n; } }

    public static Coalesced Of(Shape shape, params Layout[] layouts)
    {
        int k = layouts.Length;
        var dims = new List<int>();
        var st = new List<int>[k];
        for (int j = 0; j < k; j++) st[j] = new List<int>();
        for (int d = 0; d < shape.Rank; d++)
        {
            if (shape[d] == 1) continue;
            if (dims.Count > 0)
            {
                bool merge = true;
                for (int j = 0; j < k && merge; j++)
                    merge = st[j][^1] == layouts[j].Strides[d] * shape[d];
                if (merge)
                {
                    dims[^1] *= shape[d];
                    for (int j = 0; j < k; j++) st[j][^1] = layouts[j].Strides[d];
                    continue;
                }
            }
            dims.Add(shape[d]);
            for (int j = 0; j < k; j++) st[j].Add(layouts[j].Strides[d]);
        }
        var offsets = new int[k];
        for (int j = 0; j < k; j++) offsets[j] = layouts[j].Offset;
        return new Coalesced(dims.ToArray(), st.Select(s => s.ToArray()).ToArray(), offsets);
    }

    /// <summary>Start offset of inner run number <paramref name="run"/> for operand <paramref name="op"/>.</summary>
    public int RunOffset(int op, int run)
    {
        int o = Offsets[op];
        var s = Strides[op];
        for (int d = Shape.Length - 2; d >= 0 && run > 0; d--)
        {
            int i = run % Shape[d]; run /= Shape[d];
            o += i * s[d];
        }
        return o;
    }
}
