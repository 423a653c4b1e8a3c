"""TensorBoard's own code on the files the Rust tests write (test fixture, not product).

    read DIR          prints, as JSON, what EventAccumulator loads from the event files of
                      the run DIR: every scalar (tag -> [[step, value], ...]) and every hparams
                      plugin summary parsed with the plugin's own protobufs (tag -> message).
    write DIR EVENTS  writes EVENTS (JSON [[tag, step, value], ...]) as scalar events with
                      TensorBoard's EventFileWriter, for the Rust reader.

The Rust tests decide what to expect; this script only reports what TensorBoard sees.
"""

import json
import sys
import time

from google.protobuf import json_format
import tensorboard
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import metadata, plugin_data_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter


def read(run_dir):
    # size_guidance 0: keep every event (the default samples 10,000 scalars per tag).
    acc = event_accumulator.EventAccumulator(
        run_dir,
        size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0},
        purge_orphaned_data=True,
    )
    acc.Reload()
    scalars = {
        tag: [[e.step, e.value] for e in acc.Scalars(tag)]
        for tag in acc.Tags()["scalars"]
    }
    try:
        contents = acc.PluginTagToContent(metadata.PLUGIN_NAME)
    except KeyError:  # a run with no hparams summaries
        contents = {}
    hparams = {}
    for tag, content in contents.items():
        data = plugin_data_pb2.HParamsPluginData.FromString(content)
        hparams[tag] = json_format.MessageToDict(
            data, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    print(json.dumps({"tensorboard": tensorboard.__version__, "scalars": scalars, "hparams": hparams}))


def write(run_dir, events):
    writer = EventFileWriter(run_dir)
    for tag, step, value in events:
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=step, summary=summary))
    writer.close()


if __name__ == "__main__":
    command, run_dir = sys.argv[1], sys.argv[2]
    if command == "read":
        read(run_dir)
    elif command == "write":
        write(run_dir, json.loads(sys.argv[3]))
    else:
        sys.exit(f"unknown command {command!r} (read or write)")
