using System.Globalization;
using Engine.Data;
using Spectre.Console;

namespace Engine.Cli;

/// <summary>`engine eval --model-file F`: test accuracy and the confusion matrix of a trained model.</summary>
public static class EvalCommand
{
    public static readonly IReadOnlySet<string> Known = new HashSet<string> { "model-file", "data", "device", "limit" };

    public static int Run(string[] args, TextWriter stdout)
    {
        var o = Options.Parse(args, Known);
        var file = o.String("model-file") ?? throw new UsageException("eval needs --model-file F (the model.safetensors of a run folder)");
        var device = TrainSetup.ResolveDevice(o.Choice("device", "cpu", "cpu", "auto"));
        int limit = o.Int("limit", int.MaxValue, 1);
        var (model, name, norm) = ModelFile.Load(file, device);
        var (_, test, origin) = DataSource.Load(o.String("data"));
        var ds = norm.Apply(TensorDataset.From(test));
        if (limit < ds.Count) ds = ds.Select(Enumerable.Range(0, limit).ToArray());

        int classes = 10;
        var confusion = new int[classes, classes];    // [true, predicted]
        model.Eval();
        using (Tensor.NoGrad())
            foreach (var (x, y) in new DataLoader(ds, 500, prefetch: 0))
            {
                using var scope = Tensor.Scope();
                scope.Own(x); scope.Own(y);   // the loader's batches are ours
                var pred = model.Forward(x.To(device)).Argmax(1).ToIntArray();
                var truth = y.ToIntArray();
                for (int i = 0; i < pred.Length; i++) confusion[truth[i], pred[i]]++;
            }
        int total = 0, correct = 0;
        for (int t = 0; t < classes; t++)
            for (int p = 0; p < classes; p++) { total += confusion[t, p]; if (t == p) correct += confusion[t, p]; }

        var ci = CultureInfo.InvariantCulture;
        stdout.WriteLine($"engine eval: {name} from {file} on the {origin} ({total} test images)");
        var table = new Table().Title("confusion matrix (rows: true class, columns: predicted)").AddColumn("true \\ pred");
        for (int p = 0; p < classes; p++) table.AddColumn(new TableColumn(p.ToString(ci)).RightAligned());
        table.AddColumn(new TableColumn("recall").RightAligned());
        for (int t = 0; t < classes; t++)
        {
            int rowTotal = Enumerable.Range(0, classes).Sum(p => confusion[t, p]);
            var cells = new List<string> { Markup.Escape($"{t} {FashionMnist.ClassNames[t]}") };
            for (int p = 0; p < classes; p++) cells.Add(confusion[t, p].ToString(ci));
            cells.Add(rowTotal == 0 ? "-" : ((double)confusion[t, t] / rowTotal).ToString("P1", ci));
            table.AddRow(cells.ToArray());
        }
        TrainCommand.Render(stdout, table);
        stdout.WriteLine(string.Format(ci, "test accuracy {0:P2} ({1} of {2})", total == 0 ? 0 : (double)correct / total, correct, total));
        return 0;
    }
}
