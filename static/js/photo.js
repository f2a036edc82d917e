// Shrinks the photo of the paper minutes on the phone before it is sent: long side about 1600 px, JPEG.
// Without this script the original file is sent and the server shrinks it.
(function () {
  "use strict";
  if (window.__reportPhotoShrink) return;
  window.__reportPhotoShrink = true;

  var LONG_SIDE = 1600;
  var QUALITY = 0.85;

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () { return viaImage(file); });
    }
    return viaImage(file);
  }

  function viaImage(file) {
    return new Promise(function (resolve, reject) {
      var img = new Image();
      var url = URL.createObjectURL(file);
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }

  function shrink(file) {
    return decode(file).then(function (image) {
      var w = image.width, h = image.height;
      var scale = Math.min(1, LONG_SIDE / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(w * scale);
      canvas.height = Math.round(h * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) image.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) {
          if (!blob) { reject(new Error("encode")); return; }
          resolve({ blob: blob, width: canvas.width, height: canvas.height });
        }, "image/jpeg", QUALITY);
      });
    });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form[data-photo-form] input[type=file]")) return;
    var form = input.form;
    var file = input.files && input.files[0];
    if (!file) return;
    var status = form.querySelector(".rep-photo-status");
    var preview = form.querySelector(".rep-preview");
    var submit = form.querySelector("button[type=submit]");
    form.querySelectorAll("input[type=file]").forEach(function (other) { if (other !== input) other.value = ""; });
    status.textContent = form.dataset.msgWorking;
    submit.disabled = true;
    shrink(file).then(function (out) {
      var name = (file.name || "bien-ban").replace(/\.[^.]*$/, "") + ".jpg";
      var small = new File([out.blob], name, { type: "image/jpeg" });
      if (small.size < file.size || !/jpe?g$/i.test(file.type)) {
        var list = new DataTransfer();
        list.items.add(small);
        input.files = list.files;
      }
      var sent = input.files[0];
      status.textContent = form.dataset.msgReady + " · " + out.width + "×" + out.height + " · " +
        Math.round(sent.size / 1024) + " KB";
      if (preview.src) URL.revokeObjectURL(preview.src);
      preview.src = URL.createObjectURL(sent);
      preview.hidden = false;
    }).catch(function () {
      status.textContent = form.dataset.msgFailed;
      input.value = "";
    }).then(function () { submit.disabled = false; });
  });
})();
