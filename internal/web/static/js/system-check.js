// System check: camera, microphone and speakers, tested in the browser.
// The page explains what to check without this script; this only adds the
// live tests. Nothing is recorded or sent anywhere.
(function () {
  "use strict";
  var root = document.querySelector("[data-system-check]");
  if (!root) return;
  var panel = root.querySelector("[data-js-only]");
  var noJS = root.querySelector("[data-no-js]");
  var startBtn = root.querySelector('[data-action="start-media"]');
  var stopBtn = root.querySelector('[data-action="stop-media"]');
  var soundBtn = root.querySelector('[data-action="play-sound"]');
  var video = root.querySelector("[data-preview]");
  var micRow = root.querySelector("[data-mic-row]");
  var meter = root.querySelector("[data-mic-level]");
  var mediaStatus = root.querySelector("[data-media-status]");
  var soundStatus = root.querySelector("[data-sound-status]");

  var AudioCtx = window.AudioContext || window.webkitAudioContext;
  var canMedia = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  if (!canMedia && !AudioCtx) return; // keep the no-JS explanation

  if (noJS) noJS.hidden = true;
  panel.hidden = false;
  if (!canMedia) {
    startBtn.disabled = true;
    mediaStatus.textContent = "This browser cannot test the camera and microphone here (a secure https address is needed). Please use the test meeting instead.";
  }

  var stream = null;
  var audio = null;
  var frame = 0;

  function stop() {
    if (frame) cancelAnimationFrame(frame);
    frame = 0;
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    if (audio) audio.close();
    audio = null;
    video.srcObject = null;
    video.hidden = true;
    micRow.hidden = true;
    stopBtn.hidden = true;
    startBtn.hidden = false;
  }

  function showLevel(analyser) {
    var data = new Uint8Array(analyser.fftSize);
    function tick() {
      analyser.getByteTimeDomainData(data);
      var peak = 0;
      for (var i = 0; i < data.length; i++) {
        var v = Math.abs(data[i] - 128) / 128;
        if (v > peak) peak = v;
      }
      meter.value = peak;
      meter.textContent = Math.round(peak * 100) + "%";
      frame = requestAnimationFrame(tick);
    }
    tick();
  }

  startBtn.addEventListener("click", function () {
    mediaStatus.textContent = "Asking for permission…";
    navigator.mediaDevices.getUserMedia({ video: true, audio: true }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      startBtn.hidden = true;
      stopBtn.hidden = false;
      var hasVideo = s.getVideoTracks().length > 0;
      var hasAudio = s.getAudioTracks().length > 0;
      if (hasAudio && AudioCtx) {
        audio = new AudioCtx();
        var analyser = audio.createAnalyser();
        analyser.fftSize = 1024;
        audio.createMediaStreamSource(s).connect(analyser);
        micRow.hidden = false;
        showLevel(analyser);
      }
      mediaStatus.textContent =
        (hasVideo ? "Your camera is working: you should see yourself above. " : "No camera was found. ") +
        (hasAudio ? "Your microphone is working: speak and the level should move." : "No microphone was found.");
      stopBtn.focus();
    }).catch(function (err) {
      var name = err && err.name;
      if (name === "NotAllowedError" || name === "SecurityError") {
        mediaStatus.textContent = "Permission was refused. Allow this site to use your camera and microphone in your browser's settings, then try again.";
      } else if (name === "NotFoundError" || name === "OverconstrainedError") {
        mediaStatus.textContent = "No camera or microphone was found. Check they are plugged in and not switched off.";
      } else if (name === "NotReadableError") {
        mediaStatus.textContent = "Your camera or microphone is being used by another program. Close it and try again.";
      } else {
        mediaStatus.textContent = "The camera and microphone could not be started. Please try the test meeting instead.";
      }
    });
  });

  stopBtn.addEventListener("click", function () {
    stop();
    mediaStatus.textContent = "Camera and microphone stopped.";
    startBtn.focus();
  });

  if (!AudioCtx) {
    soundBtn.disabled = true;
    soundStatus.textContent = "This browser cannot play a test sound here.";
  } else {
    soundBtn.addEventListener("click", function () {
      var ctx = new AudioCtx();
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = 440;
      gain.gain.setValueAtTime(0.0001, ctx.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.2, ctx.currentTime + 0.05);
      gain.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + 1.5);
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 1.5);
      osc.onended = function () { ctx.close(); };
      soundStatus.textContent = "Playing a tone for one and a half seconds. If you heard it, your speakers or headphones work.";
    });
  }

  window.addEventListener("pagehide", stop);
})();
