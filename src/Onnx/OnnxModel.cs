using Engine.Onnx.Ops;
using Google.Protobuf;
using ModelProto = global::Onnx.ModelProto;
using GraphProto = global::Onnx.GraphProto;

namespace Engine.Onnx;

/// <summary>
/// An ONNX model (for instance from <c>torch.onnx.export</c>, opsets 13-17) as an engine <see cref="Module"/>: its
/// graph runs on the engine's ops, on the CPU or an ILGPU device (<see cref="Module.MoveTo"/>), with any batch size
/// the file leaves dynamic. Float initializers become parameters (batch-norm statistics become buffers), so the model
/// can be fine-tuned with the engine's optimizers and saved as a state dict.
/// </summary>
/// <example><code>
/// var model = OnnxModel.Load("resnet18.onnx");           // every operator checked before anything runs
/// var logits = model.Forward(images);                      // images [N,3,H,W]
/// var outputs = model.Run(new() { ["input"] = images });   // several inputs or outputs, by name
/// </code></example>
public sealed class OnnxModel : Module
{
    private readonly CompiledNode[] _nodes;
    private readonly Value?[] _constants;   // per value id: initializers and graph-level constants
    private readonly int[] _inputIds, _outputIds;
    private readonly int _valueCount;
    private readonly (string name, int?[] dims, int elemType)[] _inputs;

    /// <summary>The graph's inputs that are not initializers, in order.</summary>
    public IReadOnlyList<string> InputNames { get; }
    /// <summary>The graph's outputs, in order.</summary>
    public IReadOnlyList<string> OutputNames { get; }
    /// <summary>The default-domain opset the file imports.</summary>
    public int Opset { get; }
    /// <summary>producer_name and producer_version of the file ("pytorch 1.13.0").</summary>
    public string Producer { get; }
    /// <summary>GELU patterns (Div, Erf, Add, Mul, Mul) fused into one Gelu node at load (see <c>fuseGelu</c>).</summary>
    public int FusedGelus { get; }
    /// <summary>Number of nodes in the graph (after fusion).</summary>
    public int NodeCount => _nodes.Length;

    /// <summary>The declared dims of an input; null entries are dynamic (dim_param or unknown).</summary>
    public IReadOnlyList<int?> InputShape(string name) =>
        _inputs.FirstOrDefault(i => i.name == name).dims ?? throw new ArgumentException($"the model has no input '{name}'; its inputs are {string.Join(", ", InputNames)}");

    /// <summary>
    /// The engine dtype an input takes: Float32, or Int32 for an integer input (token ids of an Embedding, which the
    /// graph declares int64 or int32; their values are passed to the graph as they are).
    /// </summary>
    public DType InputDType(string name) =>
        _inputs.Any(i => i.name == name) ? (_inputs.First(i => i.name == name).elemType == DataTypes.Float ? DType.Float32 : DType.Int32)
        : throw new ArgumentException($"the model has no input '{name}'; its inputs are {string.Join(", ", InputNames)}");

    /// <summary>
    /// Reads an ONNX file. External data (tensors stored beside the model) is read only from inside the model's folder.
    /// Errors (<see cref="OnnxException"/>) name the file and, where it applies, the node, operator and opset: a
    /// truncated file, a cycle, an unsupported operator, a tensor whose size disagrees with its dims.
    /// </summary>
    public static OnnxModel Load(string path, Device? device = null, bool fuseGelu = true)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model '{path}' not found", path);
        var full = Path.GetFullPath(path);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(full); }
        catch (IOException e) { throw new OnnxException($"{path}: {e.Message}", e); }
        return Load(bytes, Path.GetDirectoryName(full)!, path, device, fuseGelu);
    }

    /// <summary>
    /// Reads a model from bytes; modelDir is where external data may be read (null: refuse external data). With
    /// fuseGelu (the default) the erf form of GELU becomes one Gelu node; false keeps the graph node for node.
    /// </summary>
    public static OnnxModel Load(byte[] bytes, string? modelDir = null, string? name = null, Device? device = null, bool fuseGelu = true)
    {
        name ??= "ONNX model";
        ModelProto proto;
        try { proto = ModelProto.Parser.ParseFrom(bytes); }
        catch (InvalidProtocolBufferException e) { throw new OnnxException($"{name}: not a valid ONNX protobuf (truncated or corrupt: {e.Message})", e); }
        if (proto.Graph == null) throw new OnnxException($"{name}: the file has no graph (is it an ONNX model?)");
        try
        {
            var model = new OnnxModel(proto, modelDir, name, fuseGelu);
            if (device != null && device != Device.Cpu) model.MoveTo(device);
            return model;
        }
        catch (OnnxException e) when (!e.Message.StartsWith(name, StringComparison.Ordinal)) { throw new OnnxException($"{name}: {e.Message}", e); }
    }

    private sealed record CompiledNode(Node Node, Kernel Kernel, int[] Inputs, int[] Outputs);

    private OnnxModel(ModelProto proto, string? modelDir, string name, bool fuseGelu)
    {
        var g = proto.Graph;
        Producer = $"{proto.ProducerName} {proto.ProducerVersion}".Trim();
        var opsets = proto.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
        if (opsets.Count == 0) throw new OnnxException("the model imports no default-domain (ai.onnx) opset");
        Opset = (int)opsets.Max(o => o.Version);
        if (Opset < 7 || Opset > 21) throw new OnnxException($"opset {Opset} is outside what the importer reads (7-21; tested 13-17)");
        // The erf form of GELU becomes one Gelu node (the proto is this load's own copy, parsed from the bytes).
        if (fuseGelu) FusedGelus = GeluFusion.Apply(g);

        // Value ids: every name an edge carries.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int Id(string s) { if (!ids.TryGetValue(s, out var i)) ids[s] = i = ids.Count; return i; }

        // 1. Check every node's operator before anything else: unsupported ones are listed together.
        var unsupported = new List<string>();
        foreach (var np in g.Node)
        {
            if (np.Domain is not ("" or "ai.onnx"))
                unsupported.Add($"{np.OpType} (domain '{np.Domain}') at node '{np.Name}'");
            else if (!Registry.TryGet(np.OpType, out _))
                unsupported.Add($"{np.OpType} at node '{np.Name}'" + (np.OpType is "If" or "Loop" or "Scan"
                    ? " (control flow: nodes with subgraphs are not supported; torch.onnx.export writes them for scripted (torch.jit.script) control flow, while a traced export unrolls it)"
                    : ""));
        }
        if (unsupported.Count > 0)
            throw new OnnxException($"unsupported operator{(unsupported.Count > 1 ? "s" : "")} at opset {Opset}: {string.Join("; ", unsupported.Distinct().Take(20))}. Supported: {string.Join(", ", Registry.Supported.Order())}");

        // 2. Initializers: float ones become parameters (batch-norm statistics buffers), integer ones host constants.
        var bnStats = new HashSet<string>(g.Node.Where(nd => nd.OpType == "BatchNormalization").SelectMany(nd => nd.Input.Skip(3).Take(2)));
        var constants = new Dictionary<int, Value>();
        var holder = new ParameterTree((n, t, buffer) => { if (buffer) RegisterBuffer(n, t); else RegisterParameter(n, t); }, (n, m) => AddModule(n, m));
        var initNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in g.Initializer)
        {
            if (!initNames.Add(t.Name)) throw new OnnxException($"initializer '{t.Name}' is defined twice");
            var v = TensorData.Decode(t, modelDir, $"initializer '{t.Name}'");
            if (v.Floats != null)
            {
                var tensor = Tensor.FromArray(v.Floats, v.Shape, Device.Cpu);
                holder.Add(t.Name, tensor, buffer: bnStats.Contains(t.Name));
                v = Value.Of(tensor);
            }
            constants[Id(t.Name)] = v;
        }

        // 3. Graph inputs (those that are not initializers) and outputs.
        var inputs = new List<(string, int?[], int)>();
        foreach (var vi in g.Input)
        {
            if (initNames.Contains(vi.Name)) continue;
            var tt = vi.Type?.TensorType;
            if (tt == null) throw new OnnxException($"graph input '{vi.Name}' is not a tensor");
            if (tt.ElemType is not (DataTypes.Float or DataTypes.Int64 or DataTypes.Int32))
                throw new OnnxException($"graph input '{vi.Name}' is {DataTypes.Name(tt.ElemType)}; only float, int64 and int32 inputs are supported");
            var dims = tt.Shape?.Dim.Select(d => d.HasDimValue && d.DimValue > 0 ? (int?)d.DimValue : null).ToArray() ?? [];
            inputs.Add((vi.Name, dims, tt.ElemType));
        }
        _inputs = inputs.ToArray();
        InputNames = _inputs.Select(i => i.name).ToArray();
        _inputIds = InputNames.Select(Id).ToArray();
        OutputNames = g.Output.Select(o => o.Name).ToArray();
        if (OutputNames.Count == 0) throw new OnnxException("the graph has no outputs");

        // 4. Topological order (Kahn): a node runs once all its inputs exist; what is left over is a cycle.
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < g.Node.Count; i++)
            foreach (var o in g.Node[i].Output)
            {
                if (o.Length == 0) continue;
                if (producer.ContainsKey(o) || initNames.Contains(o) || InputNames.Contains(o))
                    throw new OnnxException($"value '{o}' is produced twice (by node '{g.Node[i].Name}' and earlier)");
                producer[o] = i;
            }
        var available = new HashSet<string>(initNames.Concat(InputNames), StringComparer.Ordinal);
        var pending = new int[g.Node.Count];
        var consumers = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < g.Node.Count; i++)
        {
            foreach (var inp in g.Node[i].Input.Where(s => s.Length > 0).Distinct())
            {
                if (available.Contains(inp)) continue;
                if (!producer.ContainsKey(inp))
                    throw new OnnxException($"node '{g.Node[i].Name}' ({g.Node[i].OpType}) reads '{inp}', which no node, initializer or graph input provides");
                pending[i]++;
                (consumers.TryGetValue(inp, out var l) ? l : consumers[inp] = new()).Add(i);
            }
        }
        var order = new List<int>(g.Node.Count);
        var ready = new Queue<int>(Enumerable.Range(0, g.Node.Count).Where(i => pending[i] == 0));
        while (ready.Count > 0)
        {
            int i = ready.Dequeue();
            order.Add(i);
            foreach (var o in g.Node[i].Output)
                if (o.Length > 0 && consumers.TryGetValue(o, out var cs))
                    foreach (var c in cs) if (--pending[c] == 0) ready.Enqueue(c);
        }
        if (order.Count != g.Node.Count)
        {
            var stuck = Enumerable.Range(0, g.Node.Count).Where(i => pending[i] > 0).Select(i => $"'{g.Node[i].Name}' ({g.Node[i].OpType})").Take(10);
            throw new OnnxException($"the graph has a cycle: nodes {string.Join(", ", stuck)} wait on each other's outputs");
        }
        foreach (var o in OutputNames)
            if (!producer.ContainsKey(o) && !available.Contains(o)) throw new OnnxException($"graph output '{o}' is produced by no node");

        // 5. Compile each node (attributes read and checked now).
        _nodes = order.Select(i =>
        {
            var np = g.Node[i];
            var node = new Node(np, Opset);
            Registry.TryGet(np.OpType, out var factory);
            Kernel k;
            try { k = factory(node); }
            catch (OverflowException) { throw node.Error("an attribute value is out of range"); }
            return new CompiledNode(node, k, np.Input.Select(s => s.Length == 0 ? -1 : Id(s)).ToArray(), np.Output.Select(s => s.Length == 0 ? -1 : Id(s)).ToArray());
        }).ToArray();
        _outputIds = OutputNames.Select(Id).ToArray();
        _valueCount = ids.Count;
        _constants = new Value?[_valueCount];
        foreach (var (id, v) in constants) _constants[id] = v;
        Eval();   // an imported graph is an inference graph until Train() is asked for (dropout then drops)
    }

    /// <summary>Runs the model on its single input and returns its first output.</summary>
    public override Tensor Forward(Tensor input)
    {
        if (InputNames.Count != 1) throw new ArgumentException($"the model has {InputNames.Count} inputs ({string.Join(", ", InputNames)}); call Run with each by name");
        return Execute([input])[0];
    }

    /// <summary>Runs the model with its inputs in order; returns every output in order.</summary>
    public Tensor[] Run(params Tensor[] inputs) => Execute(inputs);

    /// <summary>Runs the model with inputs by name; returns the outputs by name.</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var missing = InputNames.Where(n => !inputs.ContainsKey(n)).ToList();
        if (missing.Count > 0) throw new ArgumentException($"missing model input(s): {string.Join(", ", missing)} (the model takes {string.Join(", ", InputNames)})");
        var extra = inputs.Keys.Where(k => !InputNames.Contains(k)).ToList();
        if (extra.Count > 0) throw new ArgumentException($"unknown model input(s): {string.Join(", ", extra)} (the model takes {string.Join(", ", InputNames)})");
        var outs = Execute(InputNames.Select(n => inputs[n]).ToArray());
        return OutputNames.Select((n, i) => (n, outs[i])).ToDictionary(p => p.n, p => p.Item2);
    }

    private Tensor[] Execute(Tensor[] inputs)
    {
        if (inputs.Length != _inputIds.Length)
            throw new ArgumentException($"the model takes {_inputIds.Length} input(s) ({string.Join(", ", InputNames)}), got {inputs.Length}");
        var device = Device;
        var values = (Value?[])_constants.Clone();
        for (int i = 0; i < inputs.Length; i++)
        {
            var (name, dims, elemType) = _inputs[i];
            var x = inputs[i];
            bool integer = elemType != DataTypes.Float;
            if (!integer && x.DType != DType.Float32) x = x.ToDType(DType.Float32);
            bool ok = dims.Length == x.Rank && dims.Select((d, j) => d == null || d == x.Shape[j]).All(b => b);
            if (dims.Length > 0 && !ok)
                throw new ShapeException($"input '{name}': expected shape {Shape.Format(dims.Select(d => d ?? -1).ToArray()).Replace("-1", "?")}, got {x.Shape}");
            if (integer)
            {
                // Integer inputs (indices) are host values, as the graph's shape and index subgraphs are.
                if (x.DType != DType.Int32) throw new ArgumentException($"input '{name}' is {DataTypes.Name(elemType)} (indices); give an Int32 tensor, got {x.DType}");
                values[_inputIds[i]] = Value.OfInts(x.ToIntArray().Select(v => (long)v).ToArray(), x.Shape.ToArray(), elemType);
                continue;
            }
            if (x.Device != device) throw new ArgumentException($"input '{name}' is on {x.Device} but the model is on {device}; move one of them");
            values[_inputIds[i]] = Value.Of(x);
        }
        var ctx = new RunContext(device, Training);
        foreach (var cn in _nodes)
        {
            var ins = new Value?[cn.Inputs.Length];
            for (int j = 0; j < ins.Length; j++) ins[j] = cn.Inputs[j] < 0 ? null : values[cn.Inputs[j]];
            Value?[] outs;
            try { outs = cn.Kernel(ins, ctx); }
            catch (OnnxException) { throw; }
            catch (Exception e) when (e is ShapeException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or OverflowException)
            {
                throw cn.Node.Error($"{e.Message} (inputs: {string.Join(", ", ins.Select(v => v?.Describe() ?? "none"))})");
            }
            for (int j = 0; j < cn.Outputs.Length && j < outs.Length; j++)
                if (cn.Outputs[j] >= 0) values[cn.Outputs[j]] = outs[j];
        }
        return _outputIds.Select((id, i) => values[id] is { } v ? v.AsTensor(device, "output")
            : throw new OnnxException($"output '{OutputNames[i]}' was not computed")).ToArray();
    }
}
