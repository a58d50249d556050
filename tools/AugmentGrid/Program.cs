// augment-grid: a picture of the augmentations on Fashion-MNIST.
//   dotnet run --project tools/AugmentGrid -- [--data DIR] [--out FILE] [--rows N] [--seed S] [--scale K]
//   dotnet run -c Release --project tools/AugmentGrid -- --bench   (per-image cost of each transform, loader epochs)
// Rows are test images; columns, left to right: original, horizontal flip, random crop (pad 4),
// random resized crop (scale 0.35-1), Cutout (14 px), Random Erasing (p = 1), AutoAugment ImageNet,
// AutoAugment CIFAR-10, AutoAugment SVHN, RICAP (beta 0.3, over the batch of rows).
using Engine;
using Engine.Data;

string data = Path.Combine("data", "fashion-mnist-subset"), output = Path.Combine("docs", "augment-grid.png");
int rows = 8, scale = 3; long seed = 42; bool bench = false;
for (int i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--data": data = Next(); break;
        case "--out": output = Next(); break;
        case "--rows": rows = int.Parse(Next()); break;
        case "--seed": seed = long.Parse(Next()); break;
        case "--scale": scale = int.Parse(Next()); break;
        case "--bench": bench = true; break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}; usage: augment-grid [--data DIR] [--out FILE] [--rows N] [--seed S] [--scale K] [--bench]"); return 2;
    }
}

if (bench) { Bench.Run(data); return 0; }

Seed.Everything(seed);
var split = FashionMnist.Load(data, "t10k");
var ds = TensorDataset.From(split);
// One image of each of the first `rows` classes, so the grid shows different garments.
var picks = Enumerable.Range(0, rows).Select(c => Array.IndexOf(split.Labels, c % 10)).ToArray();
var originals = picks.Select(i => new Image(1, 28, 28, ds.Row(i).ToArray())).ToArray();

ITransform[] columns =
[
    new RandomHorizontalFlip(1.0),
    new RandomCrop(28, padding: 4),
    new RandomResizedCrop(28, 28, scale: (0.35, 1.0)),
    new Cutout(length: 14),
    new RandomErasing(p: 1.0),
    new AutoAugment(AutoAugmentPolicy.ImageNet),
    new AutoAugment(AutoAugmentPolicy.Cifar10),
    new AutoAugment(AutoAugmentPolicy.Svhn),
];
var cells = new List<Image[]>();
foreach (var o in originals)
    cells.Add([o, .. columns.Select(t => t.Apply(o.Clone()))]);

// RICAP mixes the rows' images: one more column.
var batch = Tensor.FromArray(originals.SelectMany(o => o.Data).ToArray(), rows, 1, 28, 28);
var ricap = new Ricap(0.3).Apply(batch, Tensor.FromArray(picks.Select(i => split.Labels[i]).ToArray(), rows), 10);
var mixed = ricap.X.ToArray();
for (int r = 0; r < rows; r++) cells[r] = [.. cells[r], new Image(1, 28, 28, mixed.AsSpan(r * 784, 784).ToArray())];

// Lay out cells of 28*scale pixels with 2-pixel mid-grey gaps.
int cols = cells[0].Length, cell = 28 * scale, gap = 2;
int width = cols * cell + (cols + 1) * gap, height = rows * cell + (rows + 1) * gap;
var px = new byte[width * height];
Array.Fill(px, (byte)128);
for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++)
    {
        var bytes = Png.ToBytes(cells[r][c].Data);
        int oy = gap + r * (cell + gap), ox = gap + c * (cell + gap);
        for (int y = 0; y < cell; y++)
            for (int x = 0; x < cell; x++) px[(oy + y) * width + ox + x] = bytes[(y / scale) * 28 + x / scale];
    }
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
Png.Write(output, px, width, height, 1);
Console.WriteLine($"wrote {output}: {rows} images x {cols} columns ({width}x{height} px), seed {seed}");
Console.WriteLine("columns: original | hflip | crop pad 4 | resized crop | Cutout 14 | Random Erasing | AA ImageNet | AA CIFAR-10 | AA SVHN | RICAP");
return 0;
