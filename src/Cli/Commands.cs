namespace Engine.Cli;

/// <summary>Verb dispatch for the `engine` command. Bad input: one clear line on stderr and exit code 2.</summary>
public static class Commands
{
    public const string Usage = """
        usage: engine <verb> [options]

        verbs:
          train   train a model on Fashion-MNIST and report test accuracy per epoch
                  --data DIR      folder with the IDX files (default: the subset embedded in the binary)
                  --epochs N      passes over the training set (default 8)
                  --batch N       minibatch size (default 64)
                  --lr X          SGD learning rate (default 0.1)
                  --hidden N      hidden units of the MLP (default 256)
                  --seed N        seed for initialization and shuffling (default 42)
                  --limit N       use only the first N training images
          info    SIMD level, cores, versions
          help    this text
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h") { stdout.WriteLine(Usage); return args.Length == 0 ? 2 : 0; }
        try
        {
            return args[0] switch
            {
                "train" => TrainCommand.Run(Options.Parse(args[1..], TrainCommand.Known), stdout),
                "info" => InfoCommand.Run(stdout),
                _ => throw new UsageException($"unknown verb '{args[0]}'; expected train, info or help"),
            };
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"engine: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or DirectoryNotFoundException or IOException)
        {
            stderr.WriteLine($"engine: {e.Message}");
            return 1;
        }
    }
}

/// <summary>A command-line mistake; its message says what was wrong and how to fix it.</summary>
public sealed class UsageException(string message) : Exception(message);
