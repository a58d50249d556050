using System.Globalization;
using Engine;
using Engine.Distributed;

/// <summary>
/// SyncBatchNorm under mpirun, one layer alone: the whole batch is R·B samples of [4, 3, 3], rank r takes rows
/// r·B..(r+1)·B. Two training steps (y = bn(x), backward of Σ y·g) on different data, then eval. Each rank writes
/// FILE.rank{r} with "name value" lines: y0, dx0, y1, dx1, eval (its rows), and the weight and bias gradients summed
/// over the ranks and the running statistics (the same on every rank). A 1-rank run at batch R·B writes the reference.
/// </summary>
static class SyncBnProbe
{
    public static int Run(ICommunicator comm, int batch, string outFile)
    {
        int total = batch * comm.Size, r = comm.Rank;
        var gen = new Generator(55);
        Tensor Rand(float scale, float shift) => Tensor.Randn(new Shape(total, 4, 3, 3), gen).Mul(scale).Add(shift);
        var xs = new[] { Rand(1.5f, 0.4f), Rand(0.8f, -0.2f) };
        var gs = new[] { Rand(1f, 0f), Rand(1f, 0f) };
        var xe = Rand(1f, 0f);

        var bn = SyncBatchNorm.ConvertSyncBatchNorm(new BatchNorm2d(4), comm);
        using (Tensor.NoGrad())
        {
            bn.Weight!.Copy_(Tensor.Randn(new Shape(4), gen).Mul(0.5f).Add(1f));
            bn.Bias!.Copy_(Tensor.Randn(new Shape(4), gen));
        }
        var lines = new List<string>();
        void Put(string name, float[] values) => lines.AddRange(values.Select(v => name + " " + v.ToString("R", CultureInfo.InvariantCulture)));
        for (int s = 0; s < 2; s++)
        {
            var x = xs[s].Narrow(0, r * batch, batch).Contiguous().Detach();
            x.RequiresGrad = true;
            var y = bn.Forward(x);
            y.Mul(gs[s].Narrow(0, r * batch, batch).Contiguous()).Sum().Backward();
            Put($"y{s}", y.ToArray());
            Put($"dx{s}", x.Grad!.ToArray());
        }
        var dw = bn.Weight!.Grad!.ToArray();
        var db = bn.Bias!.Grad!.ToArray();
        comm.AllreduceSum(dw);
        comm.AllreduceSum(db);
        Put("weight.grad", dw);
        Put("bias.grad", db);
        Put("running_mean", bn.RunningMean!.ToArray());
        Put("running_var", bn.RunningVar!.ToArray());
        bn.Eval();
        Put("eval", bn.Forward(xe.Narrow(0, r * batch, batch).Contiguous()).ToArray());
        File.WriteAllLines($"{outFile}.rank{r}", lines);
        Console.WriteLine($"rank {r} of {comm.Size}: SyncBatchNorm probe done");
        return 0;
    }
}
