namespace Engine.Distributed.Tests;

/// <summary>
/// Tests that seed the process-wide <c>Generator.Default</c> and compare two trainings bit for bit run alone, after the
/// parallel tests: a draw from the same generator on another thread in between would give one of the runs other
/// initial weights.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalGeneratorCollection
{
    public const string Name = "Distributed.GlobalGenerator";
}
