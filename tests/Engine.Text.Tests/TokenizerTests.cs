using Engine.Tests.TestUtil;

namespace Engine.Text.Tests;

/// <summary>WordPiece through Microsoft.ML.Tokenizers on the shipped tiny vocab (fixtures/bert/vocab.txt; ids are line numbers).</summary>
public class TokenizerTests
{
    private static Tokenizer Tok() => Tokenizer.FromVocab(Fixtures.PathOf("bert/vocab.txt"));

    [Fact]
    public void SplitsLowerCasesAndUsesWordPieces()
    {
        var t = Tok();
        Assert.Equal(27, t.VocabSize);
        Assert.Equal((0, 2, 3, 4), (t.PadId, t.ClsId, t.SepId, t.MaskId));
        Assert.Equal(new[] { 6, 7, 8, 9, 6, 10, 19 }, t.Tokenize("The cat sat on the MAT."));
        Assert.Equal(new[] { 14, 15, 16 }, t.Tokenize("unaffable"));
        Assert.Equal(new[] { 21, 20, 22, 23 }, t.Tokenize("Hello, WORLD!"));
        Assert.Equal(new[] { 24, 25, 24, 26 }, t.Tokenize("playing played"));
        Assert.Equal(new[] { 5 }, t.Tokenize("zebra"));
        Assert.Equal("the cat sat", t.Decode([2, 6, 7, 8, 3]));
    }

    [Fact]
    public void PairsGetSeparatorsAndTokenTypesAndTruncateLongestFirst()
    {
        var t = Tok();
        var (ids, types) = t.Encode("the cat", "a dog ran");
        Assert.Equal(new[] { 2, 6, 7, 3, 11, 12, 13, 3 }, ids);
        Assert.Equal(new[] { 0, 0, 0, 0, 1, 1, 1, 1 }, types);
        // 2 + 3 tokens + 3 special = 8 > 6: drop from the longer (b), then, equal, from a
        (ids, types) = t.Encode("the cat", "a dog ran", maxLength: 6);
        Assert.Equal(new[] { 2, 6, 3, 11, 12, 3 }, ids);
        Assert.Equal(new[] { 0, 0, 0, 1, 1, 1 }, types);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.Encode("a", "b", maxLength: 2));
    }

    [Fact]
    public void BatchesPadAndMaskIntoTensors()
    {
        var t = Tok();
        var b = t.Batch(["the cat sat", "hello"]);
        Assert.Equal(new[] { 2, 5 }, b.InputIds.Shape.ToArray());
        Assert.Equal(DType.Int32, b.InputIds.DType);
        Assert.Equal(new[] { 2, 6, 7, 8, 3, 2, 21, 3, 0, 0 }, b.InputIds.ToIntArray());
        Assert.Equal(new[] { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 }, b.AttentionMask.ToIntArray());
        Assert.All(b.TokenTypeIds.ToIntArray(), v => Assert.Equal(0, v));
        var fixedLen = t.Batch(["the cat sat on the mat", "dog"], maxLength: 5, padding: Padding.MaxLength);
        Assert.Equal(new[] { 2, 6, 7, 8, 3, 2, 12, 3, 0, 0 }, fixedLen.InputIds.ToIntArray());
        var pairs = t.Batch(["the cat"], ["a dog"]);
        Assert.Equal(new[] { 0, 0, 0, 0, 1, 1, 1 }, pairs.TokenTypeIds.ToIntArray());
    }

    [Fact]
    public void ATokenIdBeyondTheVocabularyIsAnError()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tok().Decode([2, 27]));
        Assert.Contains("token id 27 is outside the vocabulary [0, 26]", e.Message);
        Assert.Throws<FileNotFoundException>(() => Tokenizer.FromVocab("/nonexistent/vocab.txt"));
    }
}
