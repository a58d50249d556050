namespace Engine.Tests.Cli;

/// <summary>
/// The engine command seeds the process-wide generator (Seed.Everything) and draws its initial weights, shuffles and
/// augmentations from it, and the resume test compares two runs bit for bit: any test drawing from Generator.Default
/// at the same time (Tensor.Randn without a generator does) changes a run. So these run alone, after the parallel tests
/// (4 s). The comparison once failed in a full run (accuracy 0.3125 against 0.484375 after the resumed epoch).
/// </summary>
[CollectionDefinition("Cli", DisableParallelization = true)]
public sealed class CliCollection;
