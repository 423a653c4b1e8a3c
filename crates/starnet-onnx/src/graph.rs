//! A small ONNX graph builder: nodes in topological order, weights as initializers, unique names.

use crate::proto::{
    AttributeProto, DimValue, Dimension, FLOAT, GraphProto, NodeProto, TensorProto, TensorShapeProto,
    TensorTypeProto, TypeProto, ValueInfoProto, attribute_type,
};
use anyhow::{Context, Result, ensure};
use tch::{Kind, Tensor};

/// One node attribute.
pub enum Attr {
    Int(&'static str, i64),
    Ints(&'static str, Vec<i64>),
    Float(&'static str, f32),
}

impl Attr {
    fn proto(self) -> AttributeProto {
        let mut a = AttributeProto::default();
        match self {
            Attr::Int(name, i) => {
                a.name = name.to_string();
                a.r#type = attribute_type::INT;
                a.i = i;
            }
            Attr::Ints(name, ints) => {
                a.name = name.to_string();
                a.r#type = attribute_type::INTS;
                a.ints = ints;
            }
            Attr::Float(name, f) => {
                a.name = name.to_string();
                a.r#type = attribute_type::FLOAT;
                a.f = f;
            }
        }
        a
    }
}

#[derive(Default)]
pub struct Graph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

impl Graph {
    /// Adds a float tensor as an initializer named `name`; returns the name.
    pub fn weight(&mut self, name: &str, t: &Tensor) -> Result<String> {
        let t = t.to_kind(Kind::Float).contiguous();
        let values =
            Vec::<f32>::try_from(t.flatten(0, -1)).with_context(|| format!("reading tensor {name}"))?;
        ensure!(
            values.iter().all(|v| v.is_finite()),
            "weight {name} has non-finite values (NaN or inf): the weights cannot be exported"
        );
        self.initializers.push(TensorProto {
            dims: t.size(),
            data_type: FLOAT,
            name: name.to_string(),
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        Ok(name.to_string())
    }

    /// Adds a float scalar constant (a 0-d initializer).
    pub fn scalar(&mut self, name: &str, v: f32) -> String {
        if !self.initializers.iter().any(|t| t.name == name) {
            self.initializers.push(TensorProto {
                dims: vec![],
                data_type: FLOAT,
                name: name.to_string(),
                raw_data: v.to_le_bytes().to_vec(),
            });
        }
        name.to_string()
    }

    /// Adds a node called `name` with outputs `name` (one) or `name:0`, `name:1`, ...; returns them.
    pub fn node(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        outputs: usize,
        attrs: Vec<Attr>,
    ) -> Vec<String> {
        let out: Vec<String> = if outputs == 1 {
            vec![name.to_string()]
        } else {
            (0..outputs).map(|i| format!("{name}:{i}")).collect()
        };
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: out.clone(),
            name: name.to_string(),
            op_type: op.to_string(),
            domain: String::new(),
            attribute: attrs.into_iter().map(Attr::proto).collect(),
        });
        out
    }

    /// One-output [`Graph::node`].
    pub fn op(&mut self, op: &str, name: &str, inputs: &[&str], attrs: Vec<Attr>) -> String {
        self.node(op, name, inputs, 1, attrs).remove(0)
    }

    pub fn finish(self, name: &str, inputs: Vec<ValueInfoProto>, outputs: Vec<ValueInfoProto>) -> GraphProto {
        GraphProto {
            node: self.nodes,
            name: name.to_string(),
            initializer: self.initializers,
            doc_string: String::new(),
            input: inputs,
            output: outputs,
        }
    }
}

/// A float tensor's name and shape; a dimension is a size or a named free size.
pub fn float_value(name: &str, dims: &[DimValue]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: FLOAT,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| Dimension {
                            value: Some(d.clone()),
                        })
                        .collect(),
                }),
            }),
        }),
    }
}
