using Engine.Tests.TestUtil;

namespace Engine.Tests.Autograd;

/// <summary>
/// Backprop sums gradients in place into buffers it owns, and slicing ops add straight into them (Function.AddGradInto).
/// Every case here is run twice, by Backward and by the test's reference pass (TestUtil/ReferenceBackprop: each sum
/// allocates, each slice runs its Backward and makes its full-size gradient), and the leaf gradients must agree; some are
/// also checked by finite differences.
/// The shared-gradient cases would go wrong if a gradient that came out of a Backward (a dy passed on as-is, possibly
/// to several inputs) were ever written in place.
/// </summary>
public class GradSumTests
{
    private static Tensor Leaf(int[] shape, int seed) => GradCheck.Make(shape, GradCheck.Values(shape.Aggregate(1, (a, b) => a * b), seed: seed)).RequiresGrad_();

    /// <summary>Runs build (fresh leaves each time) on both paths and compares the gradients of the leaves.</summary>
    private static void SamePathsAgree(Func<Tensor[], Tensor> loss, int[][] shapes, int backwards = 1, float tol = 0f, bool gradsBefore = false)
    {
        float[]?[] Run(bool naive)
        {
            using var scope = Tensor.Scope();
            var leaves = shapes.Select((s, i) => Leaf(s, 100 + i)).ToArray();
            if (gradsBefore)   // a leaf that already holds a gradient from an earlier step
                foreach (var l in leaves) l.Grad = Tensor.Full(l.Shape, 0.25f, null);
            var y = loss(leaves);
            for (int k = 0; k < backwards; k++)
                if (naive) ReferenceBackprop.Run(y);
                else y.Backward(retainGraph: k < backwards - 1);
            return leaves.Select(l => l.Grad?.ToArray()).ToArray();
        }
        var fast = Run(false); var naive = Run(true);
        for (int i = 0; i < shapes.Length; i++)
        {
            Assert.Equal(naive[i] == null, fast[i] == null);
            if (naive[i] == null) continue;
            for (int j = 0; j < naive[i]!.Length; j++)
                Assert.True(Math.Abs(naive[i]![j] - fast[i]![j]) <= tol * (1 + Math.Abs(naive[i]![j])),
                    $"leaf {i} element {j}: in-place path {fast[i]![j]}, reference {naive[i]![j]}");
        }
    }

    private static readonly float[] Weights = GradCheck.Values(4096, -1, 1, seed: 5);

    /// <summary>sum(y * w) for a fixed pseudo-random w: no gradient is uniform, so a misplaced slice shows.</summary>
    private static Tensor Weighted(Tensor y) => y.Mul(Tensor.FromArray(Weights[..y.Numel], y.Shape.ToArray())).Sum();

    [Fact]
    public void ManySelectsOfOneTensor()
    {
        // the LSTM pattern: every step selects one time slice of a projected input
        SamePathsAgree(x => Weighted(Tensor.Stack(Enumerable.Range(0, 8).Select(t => x[0].Select(0, t).Tanh()).ToList())), [[8, 3, 5]]);
        SamePathsAgree(x =>
        {
            var xp = x[0].Mul(2f).Add(1f);                                   // non-leaf: the sum is a pending slot
            return Weighted(Tensor.Stack(Enumerable.Range(0, 8).Select(t => xp.Select(0, t).Mul(xp.Select(0, 7 - t))).ToList()));
        }, [[8, 3, 5]]);
        GradCheck.Check(x => Tensor.Stack(Enumerable.Range(0, 4).Select(t => x[0].Select(1, t).Exp()).ToList()),
            [([3, 4, 2], GradCheck.Values(24, -1, 1, seed: 3))], what: "stack of selects");
    }

    [Fact]
    public void OverlappingNarrowsAndSteppedSlices()
    {
        Func<Tensor, Tensor> parts = t =>
            Tensor.Cat([t.Narrow(0, 0, 4), t.Narrow(0, 2, 4), t.Slice(0, 1, 6, 2), t.Narrow(1, 1, 1).Narrow(0, 0, 1).Expand(1, 4), t.Select(0, 5).Unsqueeze(0)], 0);
        SamePathsAgree(x => Weighted(parts(x[0])), [[6, 4]]);
        SamePathsAgree(x => Weighted(parts(x[0].Tanh())), [[6, 4]]);
        SamePathsAgree(x => Weighted(parts(x[0].T.Mul(3f))), [[4, 6]]);    // the base of the slices is a transposed view
        GradCheck.Check(x => parts(x[0]), [([6, 4], GradCheck.Values(24, seed: 9))], what: "overlapping slices");
    }

    [Fact]
    public void ASliceOfATensorWhoseGradientIsAlsoAnotherInputsGradient()
    {
        // Add's backward hands one tensor to both a and b. a's pending gradient then also gets a slice's gradient:
        // writing it into that shared tensor would change b's gradient too. Both orders of arrival.
        SamePathsAgree(x =>
        {
            var a = x[0].Mul(1.5f); var b = x[1].Mul(-2f);
            return Weighted(Tensor.Cat([a.Add(b), a.Narrow(0, 1, 2)], 0));
        }, [[4], [4]]);
        SamePathsAgree(x =>
        {
            var a = x[0].Mul(1.5f); var b = x[1].Mul(-2f);
            return Weighted(Tensor.Cat([a.Narrow(0, 1, 2), a.Add(b), a.Select(0, 3).Unsqueeze(0)], 0));
        }, [[4], [4]]);
        // Here b is differentiated last: the order is Cat, Add (a and b pending with one tensor), the inner Cat, the
        // slice or tanh adding into a's gradient, then a, then b. Writing a's gradient in place would change b's.
        SamePathsAgree(x =>
        {
            var a = x[0].Mul(1.5f); var b = x[1].Mul(-2f);
            return Weighted(Tensor.Cat([Tensor.Cat([b.Sigmoid(), a.Narrow(0, 1, 2)], 0), a.Add(b)], 0));
        }, [[4], [4]]);
        SamePathsAgree(x =>
        {
            var a = x[0].Mul(1.5f); var b = x[1].Mul(-2f);
            return Weighted(Tensor.Cat([Tensor.Cat([b.Sigmoid(), a.Tanh()], 0), a.Add(b)], 0));
        }, [[4], [4]]);
        // leaves directly: x's Grad must not be the tensor Add handed to z
        SamePathsAgree(x => Weighted(Tensor.Cat([x[0].Add(x[1]), x[0].Narrow(0, 0, 3), x[1].Select(0, 2).Unsqueeze(0)], 0)), [[4], [4]]);
        // y = a + a sliced: the same dy goes to two slices of one tensor
        SamePathsAgree(x => { var a = x[0].Exp(); return Weighted(a.Narrow(0, 1, 3).Add(a.Narrow(0, 0, 3))); }, [[4, 2]]);
        SamePathsAgree(x => Weighted(x[0].Narrow(0, 1, 3).Add(x[0].Narrow(0, 0, 3))), [[4, 2]]);
        // a + a: one dy arrives twice in one slot, then a slice adds to it
        SamePathsAgree(x => { var a = x[0].Sigmoid(); return Weighted(Tensor.Cat([a.Add(a), a.Narrow(0, 2, 2)], 0)); }, [[4, 3]]);
    }

    [Fact]
    public void UpstreamGradientIsNeverWritten()
    {
        using var _ = Tensor.Scope();
        var x = Tensor.Zeros(4, 3).RequiresGrad_();
        var a = x.Mul(2f);
        var y = a.Add(a.Narrow(0, 1, 1).Expand(4, 3)).Add(a);
        var g = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 4, 3);
        var before = g.ToArray();
        y.Backward(g);
        Assert.Equal(before, g.ToArray());
        var s = x.Narrow(0, 1, 2);                                       // the root itself is a slice
        var gs = Tensor.Ones(2, 3);
        s.Backward(gs);
        Assert.Equal(Enumerable.Repeat(1f, 6), gs.ToArray());
        Assert.NotSame(gs.Storage, x.Grad!.Storage);
    }

    [Fact]
    public void RetainGraphTwiceAndLeavesWithEarlierGradients()
    {
        Func<Tensor[], Tensor> f = x =>
        {
            var h = x[0].Matmul(x[1]);                                   // [6,4]
            return Weighted(Tensor.Stack([h.Select(0, 0), h.Select(0, 3), h.Select(0, 3), x[1].Select(1, 2).Narrow(0, 1, 4), x[0].Narrow(1, 0, 4).Select(0, 5)]));
        };
        int[][] shapes = [[6, 5], [5, 4]];
        SamePathsAgree(f, shapes, backwards: 2);
        SamePathsAgree(f, shapes, backwards: 3, gradsBefore: true);
        SamePathsAgree(f, shapes, gradsBefore: true);
    }

    [Fact]
    public void IndexSelectGatherAndEmbeddingAddIntoTheSum()
    {
        var idx = Tensor.FromArray([2, 0, 2, 1, 2], 5);
        var gidx = Tensor.FromArray([0, 2, 2, 1, 0, 0, 1, 1, 2, 2, 0, 1], 4, 3);
        // repeated indices sum in another order on the two paths (the slot first, then each slice): not bit-identical
        const float tol = 1e-6f;
        SamePathsAgree(x => Weighted(Tensor.Cat([x[0].IndexSelect(0, idx), x[0].IndexSelect(0, idx).Mul(x[0].Select(0, 1)), x[0].Narrow(0, 1, 2)], 0)), [[3, 3]], tol: tol);
        SamePathsAgree(x => { var a = x[0].Tanh(); return Weighted(a.Gather(1, gidx).Add(a.Narrow(0, 0, 1)).Add(a.Gather(1, gidx))); }, [[4, 3]], tol: tol, backwards: 2);
        SamePathsAgree(x => Weighted(Tensor.Embedding(idx.Reshape(5, 1), x[0]).Add(Tensor.Embedding(gidx, x[0]).Narrow(0, 0, 1))), [[3, 3]], tol: tol, gradsBefore: true);
        SamePathsAgree(x => Weighted(Tensor.Embedding(gidx, x[0], paddingIdx: 2).Add(x[0].Select(0, 2))), [[3, 3]], tol: tol);   // padding: Backward path
        GradCheck.Check(x => x[0].IndexSelect(0, idx).Add(x[0].Gather(1, gidx.Narrow(0, 0, 3)).Sum(1, keepDim: true).Narrow(0, 0, 1)),
            [([3, 3], GradCheck.Values(9, seed: 4))], what: "index_select and gather of one tensor");
    }

    [Fact]
    public void OneTransposedWeightUsedAtEveryStep()
    {
        // The recurrent layer's pattern: whhT = W.T once, h = tanh(x_t + h @ whhT) per step. Every step hands the
        // Permute node a transposed gradient; the sum is kept in that layout. Also W.T made at every step (the bench's
        // pattern), a leaf W used both ways, and a gradient that is both transposed and sliced.
        Func<Tensor[], Tensor> once = x =>
        {
            var wt = x[1].T; var h = Tensor.Zeros(2, 5); var hs = new List<Tensor>();
            for (int t = 0; t < 4; t++) { h = x[0].Select(0, t).Add(h.Matmul(wt)).Tanh(); hs.Add(h); }
            return Weighted(Tensor.Stack(hs));
        };
        Func<Tensor[], Tensor> everyStep = x =>
        {
            var h = Tensor.Zeros(2, 5); var hs = new List<Tensor>();
            for (int t = 0; t < 4; t++) { h = x[0].Select(0, t).Add(h.Matmul(x[1].T)).Tanh().Add(h.Matmul(x[1]).Mul(0.5f)); hs.Add(h); }
            return Weighted(Tensor.Stack(hs).Add(x[1].T.Narrow(0, 1, 2).Unsqueeze(0)));
        };
        int[][] shapes = [[4, 2, 5], [5, 5]];
        SamePathsAgree(once, shapes);
        SamePathsAgree(everyStep, shapes, backwards: 2, gradsBefore: true);
        GradCheck.Check(x => once(x), [([4, 2, 5], GradCheck.Values(40, -1, 1, 41)), ([5, 5], GradCheck.Values(25, -1, 1, 42))], what: "recurrence with one W.T");
        GradCheck.Check(x => everyStep(x), [([4, 2, 5], GradCheck.Values(40, -1, 1, 43)), ([5, 5], GradCheck.Values(25, -1, 1, 44))], what: "recurrence with W.T per step");
    }

    [Fact]
    public void SumsInMemoryOrderKeepLayoutsAndValues()
    {
        using var _ = Tensor.Scope();
        var a = Tensor.FromArray(GradCheck.Values(12, seed: 51), 3, 4);
        var t = a.T;                                                      // [4,3], strides [1,4]
        Assert.True(GradSum.IsDense(t)); Assert.True(GradSum.IsDense(a));
        Assert.False(GradSum.IsDense(a.Narrow(1, 0, 2))); Assert.False(GradSum.IsDense(Tensor.Ones(3).Expand(2, 3)));
        var c = GradSum.Copy(t);
        Assert.Equal(t.Layout.Strides, c.Layout.Strides);                 // stays transposed
        Assert.NotSame(a.Storage, c.Storage);
        Assert.Equal(t.ToArray(), c.ToArray());
        var r = GradSum.Copy(a.Narrow(1, 1, 2));                          // not dense: row-major copy
        Assert.True(r.IsContiguous);
        Assert.Equal(a.Narrow(1, 1, 2).ToArray(), r.ToArray());
        var b = Tensor.FromArray(GradCheck.Values(12, seed: 52), 4, 3);
        var want = c.ToArray().Zip(b.ToArray(), (x, y) => x + y).ToArray();
        GradSum.AddInto(c, b);                                            // transposed destination, row-major source
        Assert.Equal(want, c.ToArray());
        var want2 = b.ToArray().Zip(t.ToArray(), (x, y) => x + y).ToArray();
        GradSum.AddInto(b, t);
        Assert.Equal(want2, b.ToArray());
        var u = Tensor.Zeros(2, 3, 4).Permute(2, 0, 1);                   // rank 3, dims rotated
        var v = Tensor.FromArray(GradCheck.Values(24, seed: 53), 4, 2, 3);
        GradSum.AddInto(u, v);
        Assert.Equal(v.ToArray(), u.ToArray());
        Assert.True(GradSum.IsDense(u)); Assert.Equal(u.Layout.Strides, GradSum.Copy(u).Layout.Strides);
    }

    [Fact]
    public void RandomGraphsOfSlicesAndSumsMatchTheReference()
    {
        // Random DAGs over [4,6] tensors: slices (select/narrow/stepped/transposed), index ops, adds of one tensor with
        // itself, elementwise ops on transposed views; several roots combined. Fast and reference gradients must agree.
        for (int seed = 0; seed < 60; seed++)
        {
            var rng = new Random(seed);
            var plan = Enumerable.Range(0, 10).Select(_ => (op: rng.Next(10), a: rng.Next(100), b: rng.Next(100), k: rng.Next(4))).ToArray();
            int[] perm = Enumerable.Range(0, 4).Select(_ => rng.Next(4)).ToArray();
            SamePathsAgree(x =>
            {
                var pool = new List<Tensor> { x[0], x[1] };
                foreach (var (op, ai, bi, k) in plan)
                {
                    Tensor a = pool[ai % pool.Count], b = pool[bi % pool.Count];
                    pool.Add(op switch
                    {
                        0 => a.Add(b),
                        1 => a.Mul(b.Tanh()),
                        2 => Tensor.Stack(perm.Select(i => a.Select(0, (i + k) % 4)).ToList()),
                        3 => Tensor.Cat([a.Narrow(0, 0, k % 3 + 1), b.Narrow(0, k % 3 + 1, 3 - k % 3)], 0),
                        4 => a.IndexSelect(0, Tensor.FromArray(perm, 4)),
                        5 => Tensor.Cat([a.T.Narrow(0, k, 2).T, a.T.Narrow(0, k, 2).T, b.T.Narrow(0, 6 - 2 - k, 2).T], 1).Add(a),
                        6 => Tensor.Cat([a.Slice(1, k % 2, 6, 2), b.Slice(1, 1 - k % 2, 6, 2)], 1),
                        7 => a.Add(a).Add(b.Select(0, k).Unsqueeze(0)),
                        8 => a.Sigmoid().Mul(a.Narrow(0, k, 1)),
                        _ => a.T.Tanh().T.Add(b.T.Mul(a.T).T),           // transposed gradients arrive
                    });
                }
                return Weighted(Tensor.Stack(pool.Skip(2).TakeLast(3).ToList()));
            }, [[4, 6], [4, 6]], backwards: 1 + seed % 2, tol: 1e-6f, gradsBefore: seed % 3 == 0);
        }
    }
}
