/* 書かない窓口: read a pre-fill QR code with the PC's camera (progressive enhancement of the code form).
   Without JavaScript, or without a camera, the clerk uses a keyboard-wedge scanner or types the short code.
   Uses jsQR (vendored, Apache-2.0: jsQR-LICENSE.txt). Nothing leaves the browser but the decoded code,
   which is put into the form's input and submitted. */
(function () {
  "use strict";
  var box = document.querySelector("[data-counter-scan]");
  if (!box || !window.jsQR || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  var input = document.getElementById(box.getAttribute("data-target"));
  var form = document.getElementById(box.getAttribute("data-form"));
  var start = box.querySelector("[data-scan-start]");
  var stop = box.querySelector("[data-scan-stop]");
  var video = box.querySelector("[data-scan-video]");
  var status = box.querySelector("[data-scan-status]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var stream = null;
  box.hidden = false;

  function say(key) {
    status.textContent = status.getAttribute("data-" + key) || "";
  }

  function halt() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.hidden = true;
    stop.hidden = true;
    start.hidden = false;
  }

  function tick() {
    if (!stream) {
      return;
    }
    if (video.readyState === video.HAVE_ENOUGH_DATA) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
      if (found && found.data) {
        say("found");
        halt();
        input.value = found.data;
        form.submit();
        return;
      }
    }
    window.requestAnimationFrame(tick);
  }

  start.addEventListener("click", function () {
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        start.hidden = true;
        stop.hidden = false;
        stop.focus();
        say("reading");
        return video.play();
      })
      .then(function () { window.requestAnimationFrame(tick); })
      .catch(function () {
        halt();
        say("denied");
        input.focus();
      });
  });
  stop.addEventListener("click", function () {
    halt();
    input.focus();
  });
})();
