namespace Engine.Tests.Layers;

/// <summary>
/// Tests that reseed or draw from the process-wide <see cref="Generator.Default"/> (layer construction,
/// dropout) run alone: xunit runs other test classes in parallel, and a reseed from another thread
/// would change the weights under a test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialGenerator
{
    public const string Name = "Generator.Default (serial)";
}
