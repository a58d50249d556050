namespace Engine.Cli;

/// <summary>
/// Verb dispatch for the `engine` command. Bad input: one clear line on stderr and exit code 2;
/// missing or damaged files: one line and exit code 1. See docs/cli.md.
/// </summary>
public static class Commands
{
    public const string Usage = """
        usage: engine <verb> [options]        (docs/cli.md has every option)

        verbs:
          train     train a model on Fashion-MNIST with the Trainer; checkpoints, history and plots in the run folder
                    --model mlp|cnn|resnet|mobilenet|lstm (mlp)   --data DIR (embedded subset)   --device cpu|auto (cpu)
                    --optimizer NAME (sgd; every name: engine optimizers --list)   --base NAME (for lookahead, sam, asam)
                    --lr X (the optimizer's default: 0.1 sgd, 0.001 adam/adamw, ...)   --momentum X (the optimizer's)
                    --batch N (64)   --epochs N (8)   --seed N (42)   --weight-decay X (the optimizer's; adamw 0.01)
                    --hidden N (256)   --limit N (all training images)
                    tricks: --label-smoothing X  --ema DECAY  --accumulate K  --amp  --warmup STEPS  --plateau
                            --early-stop PATIENCE  --clip-norm X  --augment cutout,erasing,ricap,autoaugment
                            --balance smote|oversample|undersample
                    --config FILE.json (same keys, command line wins)   --run-dir DIR (runs/<timestamp>)
                    --resume DIR (continue a run from its last checkpoint)   --plain (no live progress bar)
          diagnose  overfit one batch with the same model/options; prints the diagnosis, writes the loss curve
                    (all train options, plus --steps N (200) and --out FILE.png (diagnose-loss.png))
          eval      --model-file F [--data DIR] [--device cpu|auto] [--limit N]: test accuracy and confusion matrix
          predict   --model-file F.onnx|model.safetensors --input T.safetensors --output O.safetensors [--device cpu|auto]:
                    runs the model on the file's tensors (by input name) and writes its outputs by output name
                    --arch NAME --weights FILE(.safetensors|.pth) [--top 5] [--labels FILE] [--json] [--size 224] IMAGE...:
                    a torchvision architecture's top-k classes per image (or --input/--output through it)
          finetune  --arch NAME [--weights FILE] --data IMAGEFOLDER [--freeze-backbone | --backbone-lr X] [--size 224]
                    [--val-fraction 0.2] [--keep-head | --replace-head] and train's options: a new head for the folder's
                    classes; writes weights.safetensors and labels.txt in the run folder for predict --weights
          images    --from fashion-mnist --out DIR [--per-class 50] [--val-per-class 10]: Fashion-MNIST as PNG folders
                    DIR/train/CLASS and DIR/val/CLASS (the image folder of the README's finetune example)
          export    --model-file model.safetensors --out F.onnx [--opset 13..17 (17)] [--dynamic-batch | --batch N (1)]:
                    a trained model as ONNX (raw images in, logits out), checked against the engine before it is written
          advise    the advisor's rules of thumb checked against a model and its training options
                    (the same options as train, e.g. engine advise --model cnn --optimizer adam --lr 0.01 --batch 30;
                     or describe a model: --layers 784,500,10 --conv 3,32 ...; engine advise --help)
          optimizers  the optimizer gallery: every optimizer at its tuned learning rate on Rosenbrock and Rastrigin,
                    ranked; --out DIR (gallery) --steps N (500) --only a,b: grid PNGs, ranking.md, path plots;
                    --list: every optimizer's name, paper and defaults
          info      devices, SIMD, threads, versions
          bench     run bench/compare.sh (engine vs PyTorch) when run inside the repository
          help      this text
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h") { stdout.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        try
        {
            return args[0] switch
            {
                "train" => TrainCommand.Run(args[1..], stdout, stderr),
                "diagnose" => DiagnoseCommand.Run(args[1..], stdout),
                "eval" => EvalCommand.Run(args[1..], stdout),
                "info" => InfoCommand.Run(stdout),
                "bench" => BenchCommand.Run(args[1..], stdout, stderr),
                "predict" => PredictCommand.Run(args[1..], stdout),
                "export" => ExportCommand.Run(args[1..], stdout),
                "finetune" => FinetuneCommand.Run(args[1..], stdout, stderr),
                "images" => ImagesCommand.Run(args[1..], stdout),
                "advise" => AdviseCommand.Run(args[1..], stdout),
                "optimizers" => OptimizersCommand.Run(args[1..], stdout),
                _ => throw new UsageException($"unknown verb '{args[0]}'; expected train, diagnose, eval, predict, finetune, images, export, advise, optimizers, info, bench or help"),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"engine: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"engine: {e.Message}");
            return 1;
        }
        catch (ArgumentException e)
        {
            // A setting the engine itself refused (its messages name the parameter and the allowed range).
            stderr.WriteLine($"engine: {e.Message.Split('\n')[0]}");
            return 2;
        }
    }
}

/// <summary>A command-line mistake; its message says what was wrong and how to fix it.</summary>
public sealed class UsageException(string message) : Exception(message);
