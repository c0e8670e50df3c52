"""Preprocessing layers that let every model in the zoo take RGB images in [0, 1].

They are registered Keras classes (not ``Lambda`` layers), so models that hold
them still save and load with ``safe_mode=True``.
"""

from __future__ import annotations

import keras
from keras import ops

#: The ImageNet channel means used by the original Caffe VGG models, in BGR order.
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


@keras.saving.register_keras_serializable(package="helpers")
class CaffePreprocess(keras.layers.Layer):
    """RGB in [0, 1] -> BGR in [0, 255] minus the ImageNet mean (VGG16's "caffe" mode)."""

    def call(self, x):
        x = ops.flip(x * 255.0, axis=-1)  # RGB -> BGR
        return x - ops.convert_to_tensor(CAFFE_MEAN_BGR, dtype=x.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape
